"""A bowtie as SVG markup (templates/bowtie/bowtie.svg), kept per bowtie, language and id.

The markup is a function of what the bowtie holds (its risk's ref and title, its causes,
consequences and control lines), the reader's language and the ids it is given, so it is kept
under exactly those: a change to any of them is another key. The dashboard's board pack draws the
same three bowties on every view, and drawing one costs more than the rest of its section.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from markupsafe import Markup

from riskreg.bowtie.queries import Bowtie
from riskreg.i18n import current_language

KEPT_AT_MOST = 256  # drawings per worker (a few kB each); past it the store starts again
EXTENSION = "riskreg.bowtie.drawn"


def key(tie: Bowtie) -> tuple[Any, ...]:
    """Everything the drawing shows, as a key."""
    return (tie.risk.ref, tie.risk.title, tuple(tie.causes), tuple(tie.consequences), tuple(tie.lines))


def svg(tie: Bowtie, uid: str | int) -> Markup:
    """The bowtie's <svg> for a page; `uid` keeps its title and description ids unique there."""
    kept: dict[tuple[Any, ...], Markup] = current_app.extensions.setdefault(EXTENSION, {})
    wanted = (key(tie), current_language(), str(uid))
    found = kept.get(wanted)
    if found is None:
        if len(kept) >= KEPT_AT_MOST:
            kept.clear()
        template = current_app.jinja_env.get_template("bowtie/bowtie.svg")
        found = kept[wanted] = Markup(template.render(d=tie.drawing, uid=uid))  # noqa: S704 (escaped)
    return found

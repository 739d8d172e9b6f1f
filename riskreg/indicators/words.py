"""Indicator words in the reader's language: thresholds, and a trigger's stored reason shown again
in that language.

A trigger's reason is stored in English (compute.reason: audit rows, mails' history, exports keep it
as written); the pages show it translated by reading its parts back: the indicator's label (a
reference text, seeds/indicators.<lang>.toml), the values, the window and the threshold. A reason
that does not read as one (edited, or from an older wording) is shown as stored.
"""

from __future__ import annotations

import re

from riskreg.i18n import current_language
from riskreg.i18n import gettext as _
from riskreg.i18n.reference import translate
from riskreg.indicators import compute

VALUE = r"(?:no data|\S+)"
REASON = re.compile(
    r"^(?P<label>.+?)"
    rf"(?::\s(?P<only>{VALUE})"
    rf"| rose from (?P<rose_old>{VALUE}) to (?P<rose_new>{VALUE})"
    rf"| fell from (?P<fell_old>{VALUE}) to (?P<fell_new>{VALUE})"
    rf"| stays at (?P<stays>{VALUE}))"
    r"(?: over the last (?P<days>\d+) days)?"
    r" \((?P<state>red|amber|green) at (?P<limit>\S+) (?P<side>or less|or more)\)$"
)


def value_words(text: str) -> str:
    """A value as compute.fmt wrote it ("12", "4.5%", "no data")."""
    return _("no data") if text == "no data" else text


def limit_words(state: str, limit: str, lower_is_worse: bool) -> str:
    if state == "red":
        return (
            _("red at %(limit)s or less", limit=limit)
            if lower_is_worse
            else _("red at %(limit)s or more", limit=limit)
        )
    return (
        _("amber at %(limit)s or less", limit=limit)
        if lower_is_worse
        else _("amber at %(limit)s or more", limit=limit)
    )


def threshold_words(state: str, amber: float, red: float, worse: str, unit: str = "") -> str:
    """compute.threshold_words in the reader's language ("red at 500 or more")."""
    limit = red if state == "red" else amber
    return limit_words("red" if state == "red" else "amber", compute.fmt(limit, unit), worse == "lower")


def reason_text(reason: str | None) -> str | None:
    """A trigger's stored (English) reason in the reader's language."""
    if not reason or current_language() == "en":
        return reason
    match = REASON.match(reason)
    if match is None:
        return reason
    parts = match.groupdict()
    threshold = limit_words(parts["state"], parts["limit"], parts["side"] == "or less")
    words = {"label": translate(parts["label"]), "threshold": threshold, "days": parts["days"]}
    span = parts["days"] is not None
    if parts["only"] is not None:
        words["new"] = value_words(parts["only"])
        if span:
            return _("%(label)s: %(new)s over the last %(days)s days (%(threshold)s)", **words)
        return _("%(label)s: %(new)s (%(threshold)s)", **words)
    if parts["rose_old"] is not None:
        words |= {"old": value_words(parts["rose_old"]), "new": value_words(parts["rose_new"])}
        if span:
            return _(
                "%(label)s rose from %(old)s to %(new)s over the last %(days)s days (%(threshold)s)", **words
            )
        return _("%(label)s rose from %(old)s to %(new)s (%(threshold)s)", **words)
    if parts["fell_old"] is not None:
        words |= {"old": value_words(parts["fell_old"]), "new": value_words(parts["fell_new"])}
        if span:
            return _(
                "%(label)s fell from %(old)s to %(new)s over the last %(days)s days (%(threshold)s)", **words
            )
        return _("%(label)s fell from %(old)s to %(new)s (%(threshold)s)", **words)
    words["new"] = value_words(parts["stays"])
    if span:
        return _("%(label)s stays at %(new)s over the last %(days)s days (%(threshold)s)", **words)
    return _("%(label)s stays at %(new)s (%(threshold)s)", **words)


def status_words(status: object) -> str:
    """A status as the badges show it ("No data", "Red"), in the reader's language."""
    value = getattr(status, "value", status)
    words = {"no_data": _("No data"), "green": _("Green"), "amber": _("Amber"), "red": _("Red")}
    return words.get(str(value), str(value))

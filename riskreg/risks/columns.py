"""The register's column chooser: which columns show (?col=title&col=site...), saved with a view."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from riskreg.i18n import gettext as _

# key -> heading; the ref always shows (it is the link to the risk). In the table's order.
COLUMNS: dict[str, Any] = {
    "title": _l("Title"),
    "site": _l("Site"),
    "direction": _l("Direction"),
    "category": _l("Category"),
    "owner": _l("Owner"),
    "inherent": _l("Inherent"),
    "residual": _l("Residual"),
    "status": _l("Status"),
    "review": _l("Next review"),
}
DEFAULT = tuple(COLUMNS)


def labels() -> dict[str, str]:
    """The headings in the reader's language, translated once for the page (each row repeats
    them as its cells' data-label)."""
    return {key: str(label) for key, label in COLUMNS.items()}


def parse_columns(args: MultiDict) -> tuple[str, ...]:
    """The chosen columns in the table's order; all of them when none is named."""
    chosen = [value.strip() for value in args.getlist("col") if value.strip()]
    unknown = [value for value in chosen if value not in COLUMNS]
    if unknown:
        raise BadRequest(
            _(
                "Column 'col' must be one of %(allowed)s; %(value)s is not.",
                allowed=", ".join(COLUMNS),
                value=repr(unknown[0]),
            )
        )
    return tuple(key for key in COLUMNS if key in chosen) if chosen else DEFAULT


def column_args(columns: tuple[str, ...]) -> dict[str, list[str]]:
    """The query-string arguments for these columns (none for the default set)."""
    return {} if columns == DEFAULT else {"col": list(columns)}

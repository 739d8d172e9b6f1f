"""The register's column chooser: which columns show (?col=title&col=site...), saved with a view."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

# key -> heading; the ref always shows (it is the link to the risk). In the table's order.
COLUMNS: dict[str, str] = {
    "title": "Title",
    "site": "Site",
    "direction": "Direction",
    "category": "Category",
    "owner": "Owner",
    "inherent": "Inherent",
    "residual": "Residual",
    "status": "Status",
    "review": "Next review",
}
DEFAULT = tuple(COLUMNS)


def parse_columns(args: MultiDict) -> tuple[str, ...]:
    """The chosen columns in the table's order; all of them when none is named."""
    chosen = [value.strip() for value in args.getlist("col") if value.strip()]
    unknown = [value for value in chosen if value not in COLUMNS]
    if unknown:
        raise BadRequest(f"Column 'col' must be one of {', '.join(COLUMNS)}; {unknown[0]!r} is not.")
    return tuple(key for key in COLUMNS if key in chosen) if chosen else DEFAULT


def column_args(columns: tuple[str, ...]) -> dict[str, list[str]]:
    """The query-string arguments for these columns (none for the default set)."""
    return {} if columns == DEFAULT else {"col": list(columns)}

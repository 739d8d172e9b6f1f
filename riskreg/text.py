"""Text as riskreg stores it: a single-line value (every String column: names, titles, emails)
holds no control character, and multi-line text (every Text column) keeps only newlines and tabs.

A CR/LF in a department name once made the reminder run crash on the mail's Subject header. The
rule is applied where every writer passes, the model attribute: forms, the import, the command line
and seeds alike (`clean_columns_of`, installed on the declarative base).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

# What str.splitlines() and mail headers treat as line breaks, beyond CR and LF.
LINE_BREAKS = re.compile(r"(?:\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029])")
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1
CONTROLS_BUT_TAB = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


LIKE_ESCAPE = "/"  # the escape character of the patterns contains_pattern() makes


def contains_pattern(text: str) -> str:
    """A LIKE pattern (ESCAPE '/') matching any value that contains `text`: its % and _ are its
    own characters, not wildcards."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def single_line(value: str) -> str:
    """Line breaks and tabs become spaces; every other control character goes."""
    value = str(value)  # a lazily translated text (a mail's subject) becomes its words here
    return CONTROLS.sub("", LINE_BREAKS.sub(" ", value.replace("\t", " ")))


def multi_line(value: str) -> str:
    """Every line break becomes a newline; control characters other than newline and tab go."""
    lines = LINE_BREAKS.split(value)
    return "\n".join(CONTROLS_BUT_TAB.sub("", line) for line in lines)


def _cleaner(clean):
    def on_set(_target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
        return clean(value) if type(value) is str else value  # enum members (str subclasses) pass

    return on_set


def clean_columns_of(base: type) -> None:
    """Clean every string assigned to a String or Text column of every model of `base`."""

    @sa.event.listens_for(base, "mapper_configured", propagate=True)
    def _attach(mapper: sa.orm.Mapper, cls: type) -> None:
        for prop in mapper.column_attrs:
            column_type = prop.columns[0].type
            if isinstance(column_type, sa.Enum) or not isinstance(column_type, sa.String):
                continue
            clean = multi_line if isinstance(column_type, sa.Text) else single_line
            sa.event.listen(getattr(cls, prop.key), "set", _cleaner(clean), retval=True)


def cleaned(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    """`values` for the columns of model `cls` as the attribute listener would store them: for
    writers that bypass the ORM's attributes (the import's bulk statements)."""
    columns = sa.inspect(cls).columns
    out = dict(values)
    for name, value in values.items():
        column = columns.get(name)
        if type(value) is not str or column is None or isinstance(column.type, sa.Enum):
            continue
        if isinstance(column.type, sa.String):
            out[name] = multi_line(value) if isinstance(column.type, sa.Text) else single_line(value)
    return out

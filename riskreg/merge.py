"""Three-way merge of one record's editable fields.

`base` is what the editor's form was opened with, `theirs` what is stored now (someone saved in
between), `yours` what the editor submitted. A field changed only by them keeps theirs, a field
changed only by you keeps yours, a field both changed to the same value is no conflict; only a field
both changed to different values needs someone to choose. Pure: values in, decisions out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from riskreg.audit import plain

UNKNOWN = object()  # a field the base does not hold: nobody can say who changed it


@dataclass(frozen=True)
class Merge:
    values: dict[str, Any]  # the merged record; a conflicting field holds yours until someone chooses
    theirs: tuple[str, ...]  # changed only by them: their value kept
    yours: tuple[str, ...]  # changed only by you: your value kept
    conflicts: tuple[str, ...]  # both changed, to different values

    @property
    def clean(self) -> bool:
        return not self.conflicts


def comparable(value: Any) -> Any:
    """A field value as the base stores it (JSON): enums by value, dates in ISO form, text with one
    kind of line break (browsers post CRLF), and a list as the set of its items (the order of chosen
    options means nothing)."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(str(plain(item)) for item in value)
    return plain(value)


def same(a: Any, b: Any) -> bool:
    if a is UNKNOWN or b is UNKNOWN:
        return False
    return comparable(a) == comparable(b)


def three_way(
    fields: Iterable[str], base: Mapping[str, Any], theirs: Mapping[str, Any], yours: Mapping[str, Any]
) -> Merge:
    """Merge `yours` into `theirs` field by field, relative to `base`."""
    values: dict[str, Any] = {}
    kept_theirs: list[str] = []
    kept_yours: list[str] = []
    conflicts: list[str] = []
    for name in fields:
        start, stored, submitted = base.get(name, UNKNOWN), theirs.get(name), yours.get(name)
        if same(stored, submitted):  # nobody changed it, or both made the same change
            values[name] = stored
        elif same(start, stored):
            values[name] = submitted
            kept_yours.append(name)
        elif same(start, submitted):
            values[name] = stored
            kept_theirs.append(name)
        else:
            values[name] = submitted
            conflicts.append(name)
    return Merge(values, tuple(kept_theirs), tuple(kept_yours), tuple(conflicts))

"""Small helpers shared by the models: enum columns stored as readable strings, UTC timestamps."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    return utcnow().date()


def enum_type(enum_cls: type[enum.Enum], name: str | None = None) -> sa.Enum:
    """A portable enum column: VARCHAR + CHECK on both SQLite and PostgreSQL, storing the value.

    `name` names the CHECK constraint; give one when a table has two columns of the same enum.
    """
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda cls: [m.value for m in cls],
        name=name or enum_cls.__name__.lower(),
    )


class LabelledEnum(enum.StrEnum):
    """A closed set whose members know the words the UI shows for them."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

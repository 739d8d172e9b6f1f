"""Small helpers shared by the models: enum columns stored as readable strings, UTC timestamps."""

from __future__ import annotations

import contextvars
import enum
import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import has_app_context

from riskreg.i18n import current_locale


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


# While a subclass's own English `label` runs, `super().label` must give the derived English too,
# not a translation (else the subclass would hand back a French word to be translated again).
_ENGLISH = contextvars.ContextVar("riskreg_english_label", default=False)


def _derived(member: enum.Enum) -> str:
    return str(member.value).replace("_", " ").capitalize()


# Labels are read in loops (a register page, a workbook of thousands of rows): the translation of
# each (locale, msgctxt, English) is looked up once per process, the English of each member once.
_TRANSLATED: dict[tuple[Any, str | None, str], str] = {}
_ENGLISH_OF: dict[tuple[type, str], str] = {}
_CONTEXT_OF: dict[type, str] = {}


def translate_label(text: str, context: str | None = None) -> str:
    """The reader's words for an English label (`context` tells apart the same English in two
    enums: a risk is "Ouvert", a grievance "Ouverte"); the English itself outside an application
    (the command line's imports, a module's constants). Always a plain str, never a LazyString."""
    if not has_app_context():
        return text
    key = (current_locale(), context, text)
    found = _TRANSLATED.get(key)
    if found is None:
        from flask_babel import gettext, pgettext

        found = _TRANSLATED[key] = str(gettext(text) if context is None else pgettext(context, text))
    return found


def forget_translations() -> None:
    """Drop the looked-up labels (after the catalogues are compiled again in a running process)."""
    _TRANSLATED.clear()


class LabelledEnum(enum.StrEnum):
    """A closed set whose members know the words the UI shows for them.

    `english_label` is the English (derived from the value, or a subclass's own `label`); `label`
    is that English in the reader's language, looked up when it is read (msgctxt: the enum, see
    `label_context`). Whatever is written to a
    file, JSON or the database for a machine to read again uses `english_label` or the value.
    A subclass still writes its English as `@property def label`: it is moved to `english_label`
    when the class is made, and the translating `label` is inherited.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("label")
        if isinstance(own, property) and own.fget is not None:
            english = own.fget

            def english_label(self: LabelledEnum) -> str:
                token = _ENGLISH.set(True)
                try:
                    return str(english(self))
                finally:
                    _ENGLISH.reset(token)

            type.__setattr__(cls, "english_label", property(english_label, doc=own.__doc__))
            type.__delattr__(cls, "label")

    @property
    def english_label(self) -> str:
        return _derived(self)

    @property
    def label(self) -> str:
        if _ENGLISH.get():  # a subclass's English asked for super().label
            return _derived(self)
        cls = type(self)
        english = _ENGLISH_OF.get((cls, self.value))
        if english is None:
            english = _ENGLISH_OF[(cls, self.value)] = self.english_label
        return translate_label(english, cls.label_context())

    @classmethod
    def label_context(cls) -> str:
        """The catalogues' msgctxt of this enum's labels: "risks.RiskStatus", "auth.Role"."""
        context = _CONTEXT_OF.get(cls)
        if context is None:
            module = cls.__module__.removeprefix("riskreg.").partition(".")[0]
            context = _CONTEXT_OF[cls] = f"{module}.{cls.__name__}"
        return context

    def every_label(self) -> set[str]:
        """The member's label in English and in every language riskreg speaks: what an import
        recognises, whatever the language of the workbook (outside an application, the English)."""
        from riskreg.i18n import in_every_language

        return {self.english_label, *in_every_language(lambda: self.label)}

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


def labelled_enums() -> list[type[LabelledEnum]]:
    """Every LabelledEnum of riskreg (all model modules imported first), in a stable order."""
    import riskreg.models  # noqa: F401  (the import hub: every model module)

    found: dict[str, type[LabelledEnum]] = {}
    pending = list(LabelledEnum.__subclasses__())
    while pending:
        cls = pending.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls
        pending.extend(cls.__subclasses__())
    return [found[name] for name in sorted(found)]


def english_labels() -> list[tuple[str, str]]:
    """Every enum member's (msgctxt, English label), once each, sorted: what `make messages` extracts."""
    return sorted({(cls.label_context(), m.english_label) for cls in labelled_enums() for m in cls})


ENUM_LABELS_MODULE = "riskreg/i18n/enum_labels.py"


def write_enum_labels(path: str = ENUM_LABELS_MODULE) -> int:
    """Write the module that lists every enum label as pgettext("enum", "...") so pybabel extracts
    them; run by `make messages` before the extraction. Returns how many labels it lists."""
    labels = english_labels()
    lines = [
        '"""Every LabelledEnum member\'s English label with its enum as msgctxt, for the catalogues.',
        "",
        "Generated by riskreg.modeling.write_enum_labels (run by `make messages`): do not edit.",
        'LabelledEnum.label translates the labels where they are read; this module only lists them."""',
        "",
        "from flask_babel import pgettext",
        "",
        "",
        "def enum_labels() -> list[str]:",
        '    """Every enum label in the current language (the calls are what pybabel extracts)."""',
        "    return [",
        *(f"        pgettext({json.dumps(c)}, {json.dumps(t, ensure_ascii=False)})," for c, t in labels),
        "    ]",
        "",
    ]
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines))
    return len(labels)

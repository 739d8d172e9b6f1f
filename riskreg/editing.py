"""An edit page under optimistic locking, opened at a version with its signed base
(riskreg.versioning); a post made stale by someone else's save is merged with it (riskreg.merge).

A page opens its form with `Edit.open`. `Edit.post` refuses a missing version or a missing, altered
or foreign base with a 400, runs the form's checks, and saves the merge at once when no field
conflicts; otherwise it leaves a conflict panel that asks, for each field both people changed, whose
value to keep (nothing pre-chosen).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from riskreg.audit import AuditEvent
from riskreg.auth.models import User
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.merge import Merge, comparable, three_way
from riskreg.versioning import Base, posted_version, put, seal, unseal

CHOOSE = _l("Choose whose value to keep: theirs or yours.")
ATTEMPTS = 3  # a save that loses a race to another commit merges again, this many times at most


@dataclass
class Row:
    name: str
    label: str
    theirs: str
    yours: str
    choice: str | None = None
    error: str | None = None


@dataclass
class Panel:
    """What the conflict section of an edit page shows."""

    rows: list[Row]
    by: str
    at: datetime | None
    kept_theirs: str = ""  # labels of the fields whose change of theirs the form now holds
    kept_yours: str = ""


@dataclass
class Outcome:
    merge: Merge | None = None
    stale: bool = False  # someone saved after the form was opened
    by: str = ""
    saved: bool = False
    changes: dict[str, Any] = field(default_factory=dict)


def latest_event(entity: str, record_id: int) -> int:
    stmt = sa.select(sa.func.max(AuditEvent.id)).where(
        AuditEvent.entity == entity, AuditEvent.entity_id == record_id
    )
    return db.session.scalar(stmt) or 0


def savers_since(entity: str, record_id: int, seen: int) -> tuple[str, datetime | None]:
    """Who changed the record after the form was opened (names, in order), and when last."""
    rows = db.session.execute(
        sa.select(User.name, AuditEvent.at)
        .select_from(AuditEvent)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == record_id, AuditEvent.id > seen)
        .order_by(AuditEvent.id)
    ).all()
    names = list(dict.fromkeys(name or _("someone else") for name, _at in rows))
    return (and_list(names) or _("Someone else")), (rows[-1].at if rows else None)


def and_list(items: Sequence[str]) -> str:
    """Names joined as people write them: A; A and B; A, B and C."""
    if len(items) < 2:
        return "".join(str(item) for item in items)
    return _("%(items)s and %(last)s", items=", ".join(str(item) for item in items[:-1]), last=items[-1])


def display(form_field: Any, value: Any) -> str:
    """A value as the form shows it: a choice's label, Yes/No, a list joined."""
    value = comparable(value)
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(value)
    for choice in getattr(form_field, "choices", None) or []:
        if getattr(choice, "value", None) == str(value):
            return str(choice.label)
    return str(value)


class Edit:
    """One edit page's optimistic locking over `fields` of one record.

    By default each merge field is the form field of that name; a page whose form maps otherwise
    overrides `label`, `show`, `read` and `fill`.
    """

    def __init__(
        self, form: Any, entity: str, record_id: int, fields: Sequence[str], thing: str = "", salt: str = ""
    ) -> None:
        self.form, self.entity, self.record_id, self.fields = form, entity, record_id, tuple(fields)
        self.thing = thing or entity  # the record in words ("risk")
        self.salt = salt or entity  # one per form: a base signed for one form is refused by another
        self.panel: Panel | None = None

    def label(self, name: str) -> str:
        return str(getattr(self.form, name).label.text)

    def show(self, name: str, value: Any) -> str:
        return display(getattr(self.form, name), value)

    def read(self, name: str) -> Any:
        """The field's value as the editor submitted it."""
        return getattr(self.form, name).data

    def fill(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            put(getattr(self.form, name), value)

    def labels(self, names: Iterable[str]) -> str:
        return and_list([self.label(name) for name in names])

    def open(
        self, current: Mapping[str, Any], version: int, ask: Iterable[str] = (), seen: int | None = None
    ) -> None:
        """Give the form the record's version and its sealed base."""
        if seen is None:
            seen = latest_event(self.entity, self.record_id)
        put(self.form.version, version)
        put(self.form.base, seal(self.salt, self.record_id, version, current, ask, seen))

    def submitted(self) -> Base:
        """The post's version and base; a 400 when either is missing, damaged or not this record's."""
        version = posted_version(self.form, self.thing)
        return unseal(self.salt, self.form.base.data, self.record_id, version, self.fields)

    def choices(self, base: Base) -> bool:
        """Whether every field the base asks about has its theirs/yours choice; the panel shows them
        again either way, a missing one with an error."""
        if not base.ask:
            return True
        rows = []
        for name in base.ask:
            choice = request.form.get(f"keep-{name}")
            row = Row(
                name,
                self.label(name),
                self.show(name, base.values.get(name)),
                self.show(name, self.read(name)),
            )
            if choice in ("theirs", "yours"):
                row.choice = choice
            else:
                row.error = str(CHOOSE)
            rows.append(row)
        by, at = savers_since(self.entity, self.record_id, base.seen)
        self.panel = Panel(rows, by, at)
        return all(row.choice for row in rows)

    def post(
        self,
        load: Callable[[], Any],
        values_of: Callable[[Any], Mapping[str, Any]],
        write: Callable[[Any, dict[str, Any]], dict[str, Any]],
        rule_errors: type[Exception] | tuple[type[Exception], ...] = (),
    ) -> Outcome:
        """The whole post: a 400 without a sound version and base, then the form's own checks and
        the theirs/yours choices, then `save`. A rule error is shown against its `field`."""
        base = self.submitted()
        chosen = self.choices(base)
        if not (self.form.validate_on_submit() and chosen):
            return Outcome()
        try:
            return self.save(base, load, values_of, write)
        except rule_errors as error:
            db.session.rollback()
            named = getattr(error, "field", "")  # errors without a field of the form go on the first
            target = named if named and hasattr(self.form, named) else self.fields[0]
            getattr(self.form, target).errors.append(str(error))
            return Outcome()

    def save(
        self,
        base: Base,
        load: Callable[[], Any],
        values_of: Callable[[Any], Mapping[str, Any]],
        write: Callable[[Any, dict[str, Any]], dict[str, Any]],
    ) -> Outcome:
        """Merge the post into the stored record and `write` it (the view's service call and commit),
        unless fields conflict: then the form is refilled for the editor to choose (see `panel`)."""
        yours = {name: self.read(name) for name in self.fields}
        for name in base.ask:  # "theirs" means: leave the field as it was when I chose
            if request.form.get(f"keep-{name}") == "theirs":
                yours[name] = base.values.get(name)
        for _attempt in range(ATTEMPTS):
            record = load()
            current, version = values_of(record), record.version
            merge = three_way(self.fields, base.values, current, yours)
            outcome = Outcome(merge, stale=version != base.version)
            if outcome.stale:
                outcome.by = savers_since(self.entity, self.record_id, base.seen)[0]
            if not merge.clean:
                break
            try:
                outcome.changes = write(record, dict(merge.values))
            except StaleDataError:  # another save committed between our read and our write
                db.session.rollback()
                continue
            outcome.saved = True
            return outcome
        self._ask(base, merge, current, version)
        return outcome

    def _ask(self, base: Base, merge: Merge, current: Mapping[str, Any], version: int) -> None:
        """Refill the form with the merge; its base becomes what is stored now."""
        by, at = savers_since(self.entity, self.record_id, base.seen)
        self.fill(merge.values)
        rows = [
            Row(name, self.label(name), self.show(name, current[name]), self.show(name, merge.values[name]))
            for name in merge.conflicts
        ]
        self.panel = Panel(rows, by, at, self.labels(merge.theirs), self.labels(merge.yours))
        self.open(current, version, merge.conflicts, seen=base.seen)

    def message(self, name: str, outcome: Outcome) -> str:
        """The flash after a save: whose changes were kept when it was merged."""
        merge = outcome.merge
        if not outcome.stale or merge is None or not (merge.theirs or merge.yours):
            return _("%(name)s saved.", name=name) if outcome.changes else _("Nothing changed.")
        saved = _("%(name)s saved", name=name) if outcome.changes else _("Nothing changed")
        if merge.theirs and merge.yours:
            return _(
                "%(saved)s; kept %(by)s's change to %(theirs)s, and yours to %(yours)s.",
                saved=saved,
                by=outcome.by,
                theirs=self.labels(merge.theirs),
                yours=self.labels(merge.yours),
            )
        if merge.theirs:
            return _(
                "%(saved)s; kept %(by)s's change to %(theirs)s.",
                saved=saved,
                by=outcome.by,
                theirs=self.labels(merge.theirs),
            )
        return _("%(saved)s; kept your change to %(yours)s.", saved=saved, yours=self.labels(merge.yours))

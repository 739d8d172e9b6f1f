"""Compare the read sheet with the register: what would be created, changed or left alone, and why not.

The plan is worked out again on confirm (nothing is kept in memory between requests); its digest
says whether it is still the plan the person saw in the preview.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from riskreg import audit, reference
from riskreg.auth.models import User
from riskreg.exports.columns import CORPORATE, REGISTER_COLUMNS
from riskreg.exports.labels import LEGEND, category_lookup, norm, sheet_name, word_lookup, words
from riskreg.extensions import db
from riskreg.i18n import gettext as _
from riskreg.imports.reader import Problem, RegisterSheet, SheetRow
from riskreg.risks import services
from riskreg.risks.models import Risk, RiskStatus
from riskreg.sites.models import Site

FIELD_OF = {"site": "site_id", "owner": "owner_id"}  # column key -> risk field, where they differ
LABELS = {FIELD_OF.get(c.key, c.key): c.header for c in REGISTER_COLUMNS}  # English msgids: see label()
LEVELS = ("inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact")
REQUIRED = ("title", "direction", "category", "impact_area", "owner_id", *LEVELS, "treatment", "status")
# A new risk's fields that the sheet does not carry (or leaves empty): the risk form's defaults. The
# judgements (direction, category, consequence area, scores, treatment) have none: a row must give them.
NEW_RISK: dict[str, Any] = {
    "description": "",
    "cause": "",
    "consequence": "",
    "site_id": None,
    "target_likelihood": None,
    "target_impact": None,
    "target_date": None,
    "status": RiskStatus.OPEN,
    "trend": None,
    "next_review_date": None,
}
MAX_LENGTH = {"title": 200, "description": 10_000, "cause": 5_000, "consequence": 5_000}  # the form's
REF_CHUNK = 500


def label(name: str) -> str:
    """A field's column header in the current language (what the preview's problems name)."""
    return words(LABELS[name]) if name in LABELS else name


@dataclass
class Lookups:
    """Sites, users and categories by the words a spreadsheet uses for them: one query each."""

    sites: dict[str, int]  # lower-case name -> id
    site_names: dict[int, str]
    users_by_email: dict[str, int]
    users_by_name: dict[str, list[int]]
    user_names: dict[int, str]
    active: set[int]
    categories: dict[str, str]  # lower-case, in any language -> as in the taxonomy
    corporate: frozenset[str] = frozenset({CORPORATE.lower()})  # the Site cell's word, in any language

    @classmethod
    def load(cls) -> Lookups:
        sites = list(db.session.execute(sa.select(Site.id, Site.name)))
        users = list(db.session.execute(sa.select(User.id, User.name, User.email, User.active)))
        by_name: dict[str, list[int]] = {}
        for user in users:
            by_name.setdefault(user.name.strip().lower(), []).append(user.id)
        return cls(
            sites={s.name.strip().lower(): s.id for s in sites},
            site_names={s.id: s.name for s in sites},
            users_by_email={u.email.lower(): u.id for u in users},
            users_by_name=by_name,
            user_names={u.id: u.name for u in users},
            active={u.id for u in users if u.active},
            categories=category_lookup(reference.categories()),
            corporate=frozenset(word_lookup(CORPORATE)),
        )


@dataclass
class Create:
    row: int
    values: dict[str, Any]


@dataclass
class Change:
    row: int
    risk: Risk
    version: int
    values: dict[str, Any]
    changes: dict[str, tuple[Any, Any]]


@dataclass
class Plan:
    creates: list[Create] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: list[tuple[int, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # shown in the preview; they stop nothing

    @property
    def ok(self) -> bool:
        return not self.problems

    def versions(self) -> dict[str, int]:
        return {change.risk.ref or "": change.version for change in self.changes}

    def digest(self) -> str:
        """Everything the preview showed: the same digest on confirm means nothing moved in between."""
        content: list[Any] = [["create", c.row, _plain(c.values)] for c in self.creates]
        for change in self.changes:
            pairs = {
                name: [audit.plain(old), audit.plain(new)] for name, (old, new) in change.changes.items()
            }
            content.append(["change", change.row, change.risk.ref, change.version, pairs])
        content += [["same", row, ref] for row, ref in self.unchanged]
        return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {name: audit.plain(value) for name, value in values.items()}


def load_risks(refs: list[str]) -> dict[str, Risk]:
    """The risks named in the file, a chunk of refs per query (an IN list must stay short)."""
    found: dict[str, Risk] = {}
    for start in range(0, len(refs), REF_CHUNK):
        chunk = refs[start : start + REF_CHUNK]
        for risk in db.session.scalars(sa.select(Risk).where(Risk.ref.in_(chunk))):
            found[risk.ref or ""] = risk
    return found


def make_plan(sheet: RegisterSheet, lookups: Lookups) -> Plan:
    plan = Plan(problems=list(sheet.problems), ignored=list(sheet.ignored), warnings=list(sheet.warnings))
    if any(problem.row <= 1 for problem in sheet.problems):
        return plan  # the file or its header is wrong: row-by-row reports would only add noise
    risks = load_risks(sorted({row.ref for row in sheet.rows if row.ref}))
    first_row: dict[str, int] = {}
    for row in sheet.rows:
        if row.ref is not None:
            if row.ref in first_row:
                plan.problems.append(
                    Problem(
                        row.row,
                        label("ref"),
                        _(
                            "%(ref)s is also on row %(row)s: one row per risk.",
                            ref=row.ref,
                            row=first_row[row.ref],
                        ),
                    )
                )
                continue
            first_row[row.ref] = row.row
        _plan_row(row, risks, lookups, sheet.present, plan)
    plan.problems.sort(key=lambda p: (p.row, p.column))
    return plan


def _plan_row(row: SheetRow, risks: dict[str, Risk], lookups: Lookups, present: set[str], plan: Plan) -> None:
    if "ref" in row.bad:
        return  # the reader reported the Ref cell: this row cannot be matched
    risk = None
    if row.ref is not None:
        risk = risks.get(row.ref)
        if risk is None:
            plan.problems.append(
                Problem(
                    row.row,
                    label("ref"),
                    _(
                        "There is no risk %(ref)s in the register. Leave %(column)s empty to add a new risk.",
                        ref=row.ref,
                        column=label("ref"),
                    ),
                )
            )
            return
    current = {name: getattr(risk, name) for name in services.EDITABLE_FIELDS} if risk else None
    proposed = dict(current if current is not None else NEW_RISK)
    problems: list[Problem] = []
    bad = {FIELD_OF.get(key, key) for key in row.bad}
    for key, value in row.cells.items():
        name = FIELD_OF.get(key, key)
        if value is None and risk is None and name in NEW_RISK:
            continue  # an empty optional cell of a new risk: the form's default (open, ...)
        try:
            proposed[name] = _resolve(name, value, current, lookups)
        except ValueError as error:
            problems.append(Problem(row.row, label(name), str(error)))
    for name in REQUIRED:
        reported = name in bad or any(p.column == label(name) for p in problems)
        if proposed.get(name) is None and not reported:
            if risk is None:
                message = _("%(column)s is empty: a new risk needs it.", column=label(name))
            else:
                message = _("%(column)s is empty: it cannot be emptied.", column=label(name))
            problems.append(Problem(row.row, label(name), message))
    if not problems and not bad:
        problems += _rule_problems(row.row, current, proposed)
    if problems or bad:
        plan.problems += problems
        return
    if risk is None or current is None:
        plan.creates.append(Create(row.row, proposed))
        return
    changes = {name: (current[name], proposed[name]) for name in current if current[name] != proposed[name]}
    if not changes:
        plan.unchanged.append((row.row, risk.ref or ""))
    elif not risk.editable:
        plan.problems.append(
            Problem(
                row.row,
                "",
                _("%(ref)s is archived: restore it on its page before changing it by import.", ref=risk.ref),
            )
        )
    else:
        plan.changes.append(Change(row.row, risk, risk.version, proposed, changes))


def _resolve(name: str, value: Any, current: dict[str, Any] | None, lookups: Lookups) -> Any:
    """A typed cell as the risk's field value; raises ValueError with the reason."""
    old = current.get(name) if current else None
    if name in MAX_LENGTH:
        text = "" if value is None else str(value)
        if current is not None and _same_text(text, old or ""):
            return old  # whitespace and line-ending differences are not edits
        if len(text.strip()) > MAX_LENGTH[name]:
            raise ValueError(
                _(
                    "%(column)s is %(length)s characters long; the limit is %(limit)s.",
                    column=label(name),
                    length=len(text.strip()),
                    limit=MAX_LENGTH[name],
                )
            )
        return text.strip() or (None if name == "title" else "")
    if name == "site_id":
        return _site(value, lookups)
    if name == "owner_id":
        return _owner(value, old, lookups)
    if name == "category" and value is not None:
        if current is not None and value == old:
            return old  # a category since dropped from the taxonomy may stay where it is
        category = lookups.categories.get(norm(value))
        if category is None:
            raise ValueError(
                _(
                    "%(value)s is not a category of the taxonomy (the %(legend)s sheet lists them).",
                    value=repr(value),
                    legend=sheet_name(LEGEND),
                )
            )
        return category
    return value


def _same_text(new: str, old: str) -> bool:
    return new.replace("\r\n", "\n").strip() == old.replace("\r\n", "\n").strip()


def _site(value: Any, lookups: Lookups) -> int | None:
    if value is None:
        return None
    key = str(value).strip().lower()
    if key in lookups.sites:
        return lookups.sites[key]
    if norm(key) in lookups.corporate:
        return None
    raise ValueError(
        _(
            "There is no site called %(value)s; an admin adds sites under %(sites)s.",
            value=repr(value),
            sites=_("Sites"),
        )
    )


def _owner(value: Any, old: int | None, lookups: Lookups) -> int | None:
    """By email, else by name; a name shared by several people is fine if one of them already owns it."""
    if value is None:
        return None
    key = str(value).strip().lower()
    candidates = [lookups.users_by_email[key]] if key in lookups.users_by_email else []
    candidates = candidates or lookups.users_by_name.get(key, [])
    if old in candidates:
        return old
    if not candidates:
        raise ValueError(
            _("There is no user called %(value)s; type an owner's name or email address.", value=repr(value))
        )
    if len(candidates) > 1:
        raise ValueError(
            _(
                "%(count)s people are called %(value)s; type the owner's email address.",
                count=len(candidates),
                value=repr(value),
            )
        )
    if candidates[0] not in lookups.active:
        raise ValueError(_("%(value)s is no longer an active user and cannot own a risk.", value=repr(value)))
    return candidates[0]


def _rule_problems(row: int, current: dict[str, Any] | None, proposed: dict[str, Any]) -> list[Problem]:
    """The risk form's rules, for new risks and for changed values."""
    problems = []
    if proposed["status"] is RiskStatus.ARCHIVED and (
        current is None or current["status"] is not RiskStatus.ARCHIVED
    ):
        problems.append(
            Problem(
                row, label("status"), _("Archive a risk with the Archive button on its page, not by import.")
            )
        )
    if current is None or current != proposed:  # the services check every create and every change
        try:
            services.check_residual(proposed)
            services.check_target(proposed)
            services.check_treatment(proposed, current)
        except services.RiskRuleError as error:
            problems.append(Problem(row, label(error.field), str(error)))
    return problems


@dataclass(frozen=True)
class Duplicate:
    """A new row with the title and site of a risk already in the register, or of an earlier new row."""

    row: int
    title: str
    site_id: int | None
    risks: list[tuple[int, str, RiskStatus]]  # (id, ref, status) of the matching risks
    rows: list[int]  # earlier rows of the file that would add the same risk


def likely_duplicates(creates: list[Create]) -> list[Duplicate]:
    """The planned new risks that look like risks already there: the same title (exactly, as the
    title index finds it) and the same site. A warning for the preview, never a refusal: two
    sites' risks often share a title, and so, now and then, do two risks of one site."""
    titles = sorted({create.values["title"] for create in creates})
    known: dict[tuple[str, int | None], list[tuple[int, str, RiskStatus]]] = {}
    for start in range(0, len(titles), REF_CHUNK):
        stmt = (
            sa.select(Risk.id, Risk.ref, Risk.title, Risk.site_id, Risk.status)
            .where(Risk.title.in_(titles[start : start + REF_CHUNK]))
            .order_by(Risk.id)
        )
        for risk_id, ref, title, site_id, status in db.session.execute(stmt):
            known.setdefault((title, site_id), []).append((risk_id, ref or "", status))
    earlier: dict[tuple[str, int | None], list[int]] = {}
    found = []
    for create in creates:
        key = (create.values["title"], create.values["site_id"])
        if key in known or key in earlier:
            found.append(
                Duplicate(create.row, key[0], key[1], known.get(key, []), list(earlier.get(key, [])))
            )
        earlier.setdefault(key, []).append(create.row)
    return found

"""Accounts whose sign-in is checked elsewhere (an OpenID provider, a directory): created on their
first sign-in with the role their groups map to, brought up to date (name, email, role,
department) at each later one, audited; refused, with a reason for the audit trail and a page
for the person, when no group maps or riskreg has turned the account off."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from riskreg import audit
from riskreg.auth import rolemap
from riskreg.auth.models import NO_PASSWORD, SignInSource, User
from riskreg.auth.services import find_department, normalise_email
from riskreg.extensions import db
from riskreg.modeling import utcnow

FIELDS = ("name", "email", "role", "department_id", "source")
# The audit trail's notes name the source in English, whatever the language of the sign-in page.
SOURCE_NAMES = {"local": "Local", "oidc": "OpenID Connect", "ldap": "LDAP"}


class SignInRefused(Exception):
    """`reason` is a short code for the audit trail; `message` is what the person reads."""

    def __init__(self, reason: str, message: Any, *, user: User | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.user = user
        self.detail = detail


def record_refusal(source: SignInSource, refusal: SignInRefused) -> None:
    """An audit event for a refused company sign-in (entity "sign_in"; 0 when no account is known)."""
    audit.record(
        "sign_in",
        refusal.user.id if refusal.user is not None else 0,
        "refused",
        None,
        {"source": [None, source.value], "reason": [None, refusal.reason]},
        note=refusal.detail[:2000],
    )


def sign_in(
    source: SignInSource,
    external_id: str,
    email: str | None,
    name: str | None,
    groups: list[str],
    grants: list[rolemap.Grant],
) -> User:
    """The account for this identity, created or updated from what its source says (flushed,
    audited); raises SignInRefused."""
    who = f"{email or '?'} ({external_id})"
    email = normalise_email(email or "")
    if "@" not in email or len(email) > 254:
        raise SignInRefused(
            "no_email", _l("Your account at the sign-in service has no email address."), detail=who
        )
    user = db.session.scalar(sa.select(User).where(User.source == source, User.external_id == external_id))
    same_email = db.session.scalar(sa.select(User).where(User.email == email))
    if same_email is not None and same_email is not user:
        raise SignInRefused(
            "email_taken",
            _l(
                "A riskreg account with the email %(email)s already signs in another way; an admin must "
                "change its email first.",
                email=email,
            ),
            user=same_email,
            detail=who,
        )
    grant = rolemap.resolve(grants, groups)
    if grant is None:
        raise SignInRefused(
            "no_mapping",
            _l("Your account is in none of the groups that give access to riskreg."),
            user=user,
            detail=f"{who} groups: {', '.join(sorted(map(str, groups)))[:1500] or 'none'}",
        )
    if user is not None and not user.active:
        raise SignInRefused("inactive", _l("Your riskreg account is turned off."), user=user, detail=who)
    department = find_department(grant.department)
    clean_name = (name or "").strip()[:120] or email
    if user is None:
        user = User(
            email=email,
            name=clean_name,
            role=grant.role,
            department=department,
            source=source,
            external_id=external_id,
            password_hash=NO_PASSWORD,
        )
        db.session.add(user)
        db.session.flush()
        audit.record(
            "user",
            user.id,
            "create",
            None,
            {key: [None, value] for key, value in audit.snapshot(user, FIELDS).items()},
            note=f"first sign-in through {SOURCE_NAMES[source.value]}, group {grant.group}",
        )
    else:
        before = audit.snapshot(user, FIELDS)
        user.name, user.email, user.role, user.department = clean_name, email, grant.role, department
        db.session.flush()
        changes = audit.diff(before, audit.snapshot(user, FIELDS))
        if changes:
            audit.record(
                "user",
                user.id,
                "update",
                None,
                changes,
                note=f"from {SOURCE_NAMES[source.value]}, group {grant.group}",
            )
    user.last_login_at = utcnow()
    db.session.flush()
    return user

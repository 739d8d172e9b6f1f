"""Passwords, sign-in checks (throttled after failures, throttle.py), and user creation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from riskreg import audit
from riskreg.auth import ldap, throttle
from riskreg.auth.models import Role, SignInSource, User
from riskreg.database import read_phase
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.modeling import utcnow

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """Checked when the email is unknown, with the real method, so every failure costs the same."""
    return generate_password_hash("riskreg-timing-equaliser", method=method)


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            _l("The password must be at least %(count)s characters long.", count=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(
            _l("The password must be at most %(count)s characters long.", count=MAX_PASSWORD_LENGTH)
        )


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the user, or None with the seconds to wait (0: none)."""

    user: User | None
    wait_seconds: int = 0
    problem: Any = ""  # (a lazy string) said instead of "Invalid email or password." (the directory is down)
    refusal: Any = None  # external.SignInRefused: the directory said yes, riskreg says no (audited)


def authenticate(email: str, password: str, source: str | None = None) -> SignIn:
    """Check the credentials, unless this account must wait after failures from this source
    (throttle.py); the outcome is flushed, the caller commits.

    On SQLite the user is read in a transaction that takes no write lock and is ended before the
    password hash (hundreds of milliseconds by design) is checked; the outcome is then written in
    a short write transaction, so a burst of sign-ins never keeps other writers waiting.
    """
    email, source = normalise_email(email), throttle.clean_source(source)
    key, now = throttle.account_key(email), utcnow()
    with read_phase():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        # Only local accounts have a password here; the others sign in at their source.
        local = user is not None and user.source is SignInSource.LOCAL
        found = (user.id, user.password_hash, user.active and local) if user else None
        wait = throttle.seconds_to_wait(key, source, now)
    if wait:
        logger.warning("sign-in throttled for %ss from %s", wait, source)
        return SignIn(None, wait)
    if not local and ldap.enabled():
        # A local account is checked here even when the directory is down (break-glass).
        return directory_sign_in(email, password, key, source, now)
    stored_hash = found[1] if found else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    valid = check_password_hash(stored_hash, password) and found is not None and found[2]
    if not valid:
        throttle.record_failure(key, source, now)
        db.session.flush()
        return SignIn(None)
    throttle.forget_failures(key, source)
    user = db.session.get(User, found[0])
    user.last_login_at = now
    db.session.flush()
    return SignIn(user)


DIRECTORY_DOWN = _l(
    "The company directory cannot be reached just now, so directory accounts cannot sign in. "
    "Please try again in a few minutes."
)


def directory_sign_in(name: str, password: str, key: str, source: str, now: Any) -> SignIn:
    """Bind-then-search at the directory (auth/ldap.py); a wrong name or password counts as a
    failure like a local one, a directory that is down does not."""
    from riskreg.auth import external

    try:
        person = ldap.find_and_check(name, password)
    except ldap.DirectoryDown as error:
        logger.warning("LDAP sign-in impossible: %s", error)
        return SignIn(None, problem=DIRECTORY_DOWN)
    if person is None:
        throttle.record_failure(key, source, now)
        db.session.flush()
        return SignIn(None)
    throttle.forget_failures(key, source)
    try:
        user = external.sign_in(
            SignInSource.LDAP, person.dn, person.email, person.name, person.groups, ldap.grants_of()
        )
    except external.SignInRefused as refusal:
        return SignIn(None, refusal=refusal)
    return SignIn(user)


def find_department(name: str | None) -> Department | None:
    if not name:
        return None
    department = db.session.scalar(
        sa.select(Department).where(sa.func.lower(Department.name) == name.lower())
    )
    if department is None:
        raise UserError(_l("There is no department called %(name)s.", name=repr(name)))
    return department


def create_user(
    *,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    department: str | None = None,
    actor: Any = None,
) -> User:
    try:
        role = Role(role)
    except ValueError as exc:
        raise UserError(
            _l("Role must be one of: %(roles)s.", roles=", ".join(r.value for r in Role))
        ) from exc
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise UserError(_l("Enter a valid email address."))
    if not name.strip():
        raise UserError(_l("Enter the user's name."))
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise UserError(_l("A user with the email %(email)s already exists.", email=email))
    check_password_policy(password)
    dept = find_department(department)
    if role is Role.DEPARTMENT_HEAD and dept is None:
        raise UserError("A department head needs a department (--department).")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        department=dept,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user",
        user.id,
        "create",
        actor,
        {
            "name": [None, user.name],
            "email": [None, email],
            "role": [None, role.value],
            "department": [None, dept.name if dept else None],
            "active": [None, user.active],
        },
    )
    return user


def sign_in_records(users: list[User]) -> dict[int, throttle.Record]:
    """The failed sign-ins on record for each of these users who has any (the users page)."""
    keys = {throttle.account_key(user.email): user.id for user in users}
    return {keys[key]: record for key, record in throttle.records(list(keys)).items()}


def unlock_sign_in(user: User, actor: Any) -> bool:
    """Forget the user's failed sign-ins from every source, so they may try again at once (audited)."""
    key = throttle.account_key(user.email)
    record = throttle.records([key]).get(key)
    if record is None:
        return False
    throttle.unlock(key)
    audit.record(
        "user",
        user.id,
        "unlock_sign_in",
        actor,
        {
            "failed_sign_ins": [record.failures, 0],
            "sign_in_blocked_until": [audit.plain(record.blocked_until), None],
        },
    )
    return True

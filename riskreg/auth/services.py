"""Passwords, sign-in checks with a per-account lockout kept in the database, and user creation."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from riskreg import audit
from riskreg.auth.models import Role, User
from riskreg.departments.models import Department
from riskreg.extensions import db
from riskreg.modeling import utcnow

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """Checked when the email is unknown or locked, with the real method, so every failure costs the same."""
    return generate_password_hash("riskreg-timing-equaliser", method=method)


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def authenticate(email: str, password: str) -> User | None:
    """The user if the credentials are right and the account is usable; None otherwise.

    Failures are counted per account; after LOGIN_MAX_FAILURES the account is locked for
    LOGIN_LOCKOUT_MINUTES (kept in the database, so every worker and host agrees).
    """
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        logger.warning("sign-in refused for locked account %s", user.id)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
            user.failed_logins = 0
            logger.warning("account %s locked after repeated failed sign-ins", user.id)
        db.session.commit()
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def find_department(name: str | None) -> Department | None:
    if not name:
        return None
    department = db.session.scalar(
        sa.select(Department).where(sa.func.lower(Department.name) == name.lower())
    )
    if department is None:
        raise UserError(f"There is no department called {name!r}.")
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
        raise UserError(f"Role must be one of: {', '.join(r.value for r in Role)}.") from exc
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise UserError("Enter a valid email address.")
    if not name.strip():
        raise UserError("Enter the user's name.")
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise UserError(f"A user with the email {email} already exists.")
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
            "email": [None, email],
            "role": [None, role.value],
            "department": [None, dept.name if dept else None],
        },
    )
    return user

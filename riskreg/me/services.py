"""A person's own settings: their password and the notices they want, audited like every change."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

from riskreg import audit
from riskreg.auth import services as auth_services
from riskreg.auth.models import SignInSource, User
from riskreg.extensions import db
from riskreg.mail import KINDS, NotificationOptOut, turned_off


class SettingsError(ValueError):
    def __init__(self, field: str, message: Any) -> None:  # a lazy string, said where it is shown
        super().__init__(message)
        self.field = field


def change_password(user: User, current: str, new: str) -> None:
    """The current password is required; every other session of the user ends (new session token).
    Company accounts (OIDC, LDAP) have no password here."""
    if user.source is not SignInSource.LOCAL:
        raise SettingsError(
            "current_password", _l("You sign in with your company account; change its password there.")
        )
    if not check_password_hash(user.password_hash, current):
        raise SettingsError("current_password", _l("The current password is not right."))
    try:
        auth_services.check_password_policy(new)
    except auth_services.UserError as error:
        raise SettingsError("new_password", error.args[0] if error.args else str(error)) from error
    if check_password_hash(user.password_hash, new):
        raise SettingsError("new_password", _l("Choose a password other than the current one."))
    user.password_hash = auth_services.hash_password(new)
    user.rotate_session_token()
    audit.record("user", user.id, "change_password", user, {"password": ["(set)", "(changed)"]})


def set_notifications(user: User, wanted: set[str]) -> dict[str, list[Any]]:
    """Store the kinds turned off; the audit lists the kinds turned off before and after."""
    unknown = wanted - KINDS.keys()
    if unknown:
        raise SettingsError(
            "notices", _l("Unknown kinds of notice: %(kinds)s.", kinds=", ".join(sorted(unknown)))
        )
    before = turned_off(user.id)
    after = set(KINDS) - wanted
    if before == after:
        return {}
    db.session.execute(
        sa.delete(NotificationOptOut).where(
            NotificationOptOut.user_id == user.id, NotificationOptOut.kind.in_(before - after)
        )
    )
    db.session.add_all(NotificationOptOut(user_id=user.id, kind=kind) for kind in sorted(after - before))
    changes = {"notices_turned_off": [sorted(before) or None, sorted(after) or None]}
    audit.record("user", user.id, "notifications", user, changes)
    return changes


def set_language(user: User, locale: str | None) -> dict[str, list[Any]]:
    """The user's own language (a code of riskreg.i18n.LANGUAGES), or None to follow the browser."""
    from riskreg.i18n.languages import LANGUAGES

    locale = locale or None
    if locale is not None and locale not in LANGUAGES:
        raise SettingsError(
            "locale", _l("riskreg does not speak %(locale)s; choose one of the list.", locale=repr(locale))
        )
    if locale == user.locale:
        return {}
    changes = {"locale": [user.locale, locale]}
    user.locale = locale
    audit.record("user", user.id, "language", user, changes)
    return changes

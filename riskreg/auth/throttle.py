"""Growing waits after failed sign-ins, per account and source, instead of a lock anyone can set off.

From one source (client address), after LOGIN_FREE_FAILURES failures for an account each further
failure doubles the wait before the next attempt (2 s, 4 s, ...) up to LOGIN_MAX_WAIT_SECONDS.
Across every source together the account gets LOGIN_ACCOUNT_FREE_FAILURES failures, then a wait
that doubles only every ACCOUNT_DOUBLING failures and stops at LOGIN_ACCOUNT_MAX_WAIT_SECONDS: an
attacker with many addresses is slowed down, but the real user is never kept out for long. An
attempt made during a wait is refused without a password check and is not counted, so waiting
cannot be prolonged by hammering. Failures older than LOGIN_FAILURE_MEMORY_HOURS are forgotten.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from riskreg.auth.models import SignInThrottle
from riskreg.extensions import db

EVERY_SOURCE = "*"
ACCOUNT_DOUBLING = 4
UNKNOWN_SOURCE = "unknown"


@dataclass(frozen=True)
class Rule:
    free: int  # failures allowed before any wait
    cap_seconds: int
    doubling: int = 1  # failures per doubling of the wait

    def wait(self, failures: int) -> int:
        if failures <= self.free:
            return 0
        return min(2 ** ((failures - self.free + self.doubling - 1) // self.doubling), self.cap_seconds)


def rules() -> dict[str, Rule]:
    """The rule for one source's row and the one for the account's all-sources row."""
    config = current_app.config
    return {
        "source": Rule(config["LOGIN_FREE_FAILURES"], config["LOGIN_MAX_WAIT_SECONDS"]),
        EVERY_SOURCE: Rule(
            config["LOGIN_ACCOUNT_FREE_FAILURES"], config["LOGIN_ACCOUNT_MAX_WAIT_SECONDS"], ACCOUNT_DOUBLING
        ),
    }


def account_key(email: str) -> str:
    """A keyed hash of the normalised email (the secret key keeps it from being looked up)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()


def clean_source(source: str | None) -> str:
    return (source or UNKNOWN_SOURCE)[:64]


def seconds_to_wait(key: str, source: str, now: datetime) -> int:
    """How long this account must wait before trying again from this source (0: it may try now)."""
    blocked = db.session.scalar(
        sa.select(sa.func.max(SignInThrottle.blocked_until)).where(
            SignInThrottle.account_key == key,
            SignInThrottle.source.in_([source, EVERY_SOURCE]),
            SignInThrottle.blocked_until > now,
        )
    )
    if blocked is None:
        return 0
    return max(1, int((blocked - now).total_seconds() + 0.999))


def record_failure(key: str, source: str, now: datetime) -> None:
    """Count one failure for the source's row and the account's all-sources row (atomic upserts,
    so concurrent workers never lose a count) and set each row's wait."""
    memory = timedelta(hours=current_app.config["LOGIN_FAILURE_MEMORY_HOURS"])
    table = SignInThrottle.__table__
    db.session.execute(sa.delete(table).where(table.c.last_failure_at < now - memory))
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rule_of = rules()
    for row_source, rule in ((source, rule_of["source"]), (EVERY_SOURCE, rule_of[EVERY_SOURCE])):
        statement = insert(table).values(
            account_key=key, source=row_source, failures=1, last_failure_at=now, blocked_until=None
        )
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.account_key, table.c.source],
            set_={"failures": table.c.failures + 1, "last_failure_at": now},
        ).returning(table.c.id, table.c.failures)
        row_id, failures = db.session.execute(statement).one()
        wait = rule.wait(failures)
        blocked = now + timedelta(seconds=wait) if wait else None
        db.session.execute(sa.update(table).where(table.c.id == row_id).values(blocked_until=blocked))


def forget_failures(key: str, source: str) -> None:
    """A successful sign-in clears its source's count and the account's; other sources keep theirs."""
    db.session.execute(
        sa.delete(SignInThrottle).where(
            SignInThrottle.account_key == key, SignInThrottle.source.in_([source, EVERY_SOURCE])
        )
    )


@dataclass(frozen=True)
class Record:
    failures: int  # from every source, within the memory window
    blocked_until: datetime | None  # the latest wait of any of the account's rows


def records(keys: list[str]) -> dict[str, Record]:
    """For the users page: the failures on record of each key that has any."""
    table = SignInThrottle
    rows = db.session.execute(
        sa.select(
            table.account_key,
            sa.func.max(sa.case((table.source == EVERY_SOURCE, table.failures), else_=0)),
            sa.func.max(table.blocked_until),
        )
        .where(table.account_key.in_(keys))
        .group_by(table.account_key)
    )
    return {key: Record(failures, blocked) for key, failures, blocked in rows}


def unlock(key: str) -> None:
    """Forget every failure of the account, from every source."""
    db.session.execute(sa.delete(SignInThrottle).where(SignInThrottle.account_key == key))

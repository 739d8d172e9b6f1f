"""A job as users see it: what was asked, by whom, how far it is, and the file it wrote.

Huey's own storage (SQLite or Redis) only carries "run job N"; everything a page shows lives here,
in riskreg's database, so every web host and worker sees the same state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskreg.extensions import db
from riskreg.modeling import LabelledEnum, enum_type, utcnow


class JobState(LabelledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FINISHED = (JobState.DONE, JobState.FAILED)


class JobKind(LabelledEnum):
    EXPORT = "export"  # the register workbook, with the filters of /risks
    IMPORT = "import"  # confirm of a register import
    OBSERVATIONS_IMPORT = "observations_import"  # confirm of a field monitoring import
    INDICATORS_REFRESH = "indicators_refresh"
    REMINDERS = "reminders"  # the daily digests, reminders, acceptance expiry and verification plan
    MAIL_RETRY = "mail_retry"
    WEBHOOKS_DELIVER = "webhooks_deliver"

    @property
    def label(self) -> str:
        return {
            "export": lambda: "Register export",
            "import": lambda: "Register import",
            "observations_import": lambda: "Field monitoring import",
            "indicators_refresh": lambda: "Indicators refresh",
            "reminders": lambda: "Daily reminders",
            "mail_retry": lambda: "Mail retry",
            "webhooks_deliver": lambda: "Webhook deliveries",
        }[self.value]()


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(enum_type(JobKind))
    # None: started by the worker's schedule, not by a person.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    parameters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    state: Mapped[JobState] = mapped_column(enum_type(JobState), default=JobState.QUEUED)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    message: Mapped[str] = mapped_column(sa.Text, default="")  # progress note, result, or why it failed
    output_key: Mapped[str | None] = mapped_column(sa.String(200))
    output_name: Mapped[str | None] = mapped_column(sa.String(200))
    output_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    retry_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]  # the output is deleted then (24 h after the job was asked for)
    heartbeat_at: Mapped[datetime | None]  # a running job's worker beats; a stale beat means it died
    worker: Mapped[str | None] = mapped_column(sa.String(120))  # host:pid of the worker that ran it

    user = relationship("User", lazy="raise")

    __table_args__ = (
        sa.Index("ix_jobs_user_created", "user_id", "created_at"),
        sa.Index("ix_jobs_state_heartbeat", "state", "heartbeat_at"),
    )

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.state is JobState.DONE else None
        return min(100, self.done * 100 // self.total)

    @property
    def unit(self) -> str:
        """What done and total count: rows, but an export counts its rows twice (written, then
        saved into the file: exports.xlsx.progress_total), so its page shows the percentage alone."""
        return "" if self.kind is JobKind.EXPORT else "rows"

    def status(self) -> dict[str, Any]:
        """What the polling script reads (/jobs/<id>/status)."""
        return {
            "id": self.id,
            "state": self.state.value,
            "state_label": self.state.label,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "unit": self.unit,
            "message": self.message,
            "finished": self.finished,
        }

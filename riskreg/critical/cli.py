"""`flask verifications plan [--today YYYY-MM-DD]`: the due verification tasks of every schedule
(run it daily from cron; a second run the same day creates nothing)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from riskreg.extensions import db

verifications_cli = AppGroup("verifications", help="Critical-control verifications.")


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: give it as YYYY-MM-DD.") from None


@verifications_cli.command("plan")
@click.option("--today", "on", callback=_day, help="Plan as of this day (YYYY-MM-DD); default: today (UTC).")
def plan_command(on: date | None) -> None:
    """Create the verification tasks due from each schedule of a critical control (idempotent)."""
    from riskreg.critical import services

    created = services.plan(on)
    db.session.commit()
    click.echo(f"Planned {created} verification task{'s' if created != 1 else ''}.")

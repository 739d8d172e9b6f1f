"""`flask acceptances expire [--today YYYY-MM-DD]`: the daily run that warns of acceptances about to
expire and ends those whose date has come (their risks return to review). Safe to repeat."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from riskreg.extensions import db

acceptances_cli = AppGroup("acceptances", help="Risk acceptances: warnings and expiry.")


@acceptances_cli.command("expire")
@click.option(
    "--today",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as if today were this date (YYYY-MM-DD); default: today (UTC).",
)
def expire_command(on) -> None:
    """Warn 30 days before an acceptance expires; on or after its date, expire it."""
    from riskreg.acceptances.services import expire
    from riskreg.modeling import today

    day = on.date() if on is not None else today()
    warned, ended = expire(day)
    db.session.commit()  # the mails go out after this commit
    for acceptance in ended:
        click.echo(
            f"Expired: acceptance #{acceptance.id} of risk {acceptance.risk_id} ({acceptance.end_reason})"
        )
    for acceptance in warned:
        click.echo(f"Warned: acceptance #{acceptance.id} expires on {acceptance.expires_on.isoformat()}")
    click.echo(f"{len(ended)} expired, {len(warned)} warned ({day.isoformat()}).")

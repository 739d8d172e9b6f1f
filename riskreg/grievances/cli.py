"""`flask grievances remind [--today YYYY-MM-DD]`: mail the people responsible for grievances past a
deadline (run daily from cron)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from riskreg.extensions import db
from riskreg.modeling import today

grievances_cli = AppGroup("grievances", help="The grievance mechanism.")


@grievances_cli.command("remind")
@click.option(
    "--today", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Default: today."
)
def remind_command(on) -> None:
    """Remind owner department heads and grievance officers of grievances past a deadline."""
    from riskreg.grievances.reminders import remind

    day: date = on.date() if on else today()
    sent = remind(day)
    db.session.commit()  # the mails go out after this commit
    for person, mine in sent:
        click.echo(f"{person.email}: {', '.join(g.ref for g in mine)}")
    click.echo(f"{len(sent)} reminder(s).")

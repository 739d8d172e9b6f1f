"""`flask indicators refresh`: recompute every indicator at every active site (run daily from cron:
windows move on and "days since the last observation" grows even when nobody records anything)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from riskreg.extensions import db

indicators_cli = AppGroup("indicators", help="Key risk indicators computed from monitoring.")


@indicators_cli.command("refresh")
def refresh_command() -> None:
    """Recompute every indicator; triggers flag the linked risks and mail their owners."""
    from riskreg.indicators.services import refresh_all

    triggers = refresh_all(actor=None)
    db.session.commit()  # the owners' mails go out after this commit
    for trigger in triggers:
        click.echo(f"{trigger.new_status.value.upper()}: {trigger.reason}")
    click.echo(f"{len(triggers)} trigger(s).")

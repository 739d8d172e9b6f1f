"""`flask webhooks deliver`: send the webhook deliveries that are due (run it from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

webhooks_cli = AppGroup("webhooks", help="Signed webhook deliveries.")


@webhooks_cli.command("deliver")
@click.option("--limit", type=click.IntRange(1, 10_000), default=500, show_default=True, help="per run")
def webhooks_deliver(limit: int) -> None:
    """Send what is due: new events not yet sent and retries whose backoff has passed."""
    from riskreg.webhooks import delivery

    delivered, failed = delivery.deliver_due(limit)
    click.echo(f"Delivered {delivered}, failed {failed}.")

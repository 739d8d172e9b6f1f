"""`flask jobs worker`: the Huey consumer that runs riskreg's jobs and its schedule (`make run`
starts one beside the web server); `flask jobs reap`: fail the jobs of workers that stopped."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs: the worker.")


@jobs_cli.command("worker")
@click.option("--workers", type=click.IntRange(1, 32), default=None, help="Jobs run at once (default: 2).")
def worker_command(workers: int | None) -> None:
    """Run jobs until stopped (Ctrl-C or SIGTERM finish the running jobs first)."""
    from riskreg.jobs import services

    queue = current_app.extensions["riskreg.jobs"]
    if queue.huey.immediate:
        raise click.UsageError("JOBS_IMMEDIATE is on: jobs run inside the web request, not on a worker.")
    reaped = services.reap(starting=True)  # jobs left running by a worker that was killed
    if reaped:
        click.echo(f"Marked {len(reaped)} job(s) of a stopped worker as failed: {reaped}")
    swept = services.sweep_partials()  # ...and the files it was writing
    if swept:
        click.echo(f"Removed {len(swept)} half-written file(s) of a stopped process.")
    click.echo(f"riskreg jobs worker on {queue.backend} (queue {queue.huey.name!r}).")
    consumer = queue.huey.create_consumer(
        workers=workers or current_app.config["JOBS_WORKERS"],
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
    )
    consumer.run()


@jobs_cli.command("reap")
def reap_command() -> None:
    """Mark as failed the running jobs whose worker stopped beating, remove expired files, old jobs
    and half-written files (the worker does this every minute)."""
    from riskreg.jobs import services

    reaped = services.reap()
    services.purge_expired()
    click.echo(f"Marked {len(reaped)} job(s) as failed.")

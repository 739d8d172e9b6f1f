"""`flask storage ...`: where kept files live."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from riskreg.storage import BACK_ENDS, StorageError
from riskreg.storage.migrate import PLACES, MigrationFailed, migrate

storage_cli = AppGroup("storage", help="Kept files (evidence, import previews): local folder or database.")


@storage_cli.command("migrate")
@click.option("--to", "to", type=click.Choice(BACK_ENDS), required=True, help="The back end to move to.")
def migrate_command(to: str) -> None:
    """Move every kept file to the other back end, verifying each checksum before removing any."""
    try:
        report = migrate(to, click.echo)
    except (MigrationFailed, StorageError) as error:
        raise click.ClickException(str(error)) from error
    for key in report.missing:
        click.echo(f"Warning: {key} is recorded as evidence but is in neither back end.", err=True)
    click.echo(report.summary())
    if current_app.config.get("STORAGE") != to:
        click.echo(f"Now set RISKREG_STORAGE={to} on every host and restart riskreg to use {PLACES[to]}.")

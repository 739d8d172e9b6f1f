"""`flask backup create --out DIR` and `flask backup restore DIR [--force]`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from riskreg.backup.create import create
from riskreg.backup.manifest import BackupError
from riskreg.backup.restore import restore

backup_cli = AppGroup("backup", help="Back up and restore the database and the kept files.")


@backup_cli.command("create")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="A new or empty folder.")
def create_command(out: Path) -> None:
    """A consistent snapshot of the database, the kept files on disk, and manifest.json."""
    try:
        manifest = create(out, click.echo)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:  # a full disk, a folder it may not write: the partial backup is removed
        raise click.ClickException(f"The backup could not be written ({error}); nothing was kept.") from error
    click.echo(
        f"Backup written to {out}: {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} "
        f"tables, {len(manifest['stored'])} stored file(s), {len(manifest['files'])} file(s) in the manifest."
    )


@backup_cli.command("restore")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(folder: Path, force: bool) -> None:
    """Restore a backup into an empty database (or, with --force, over this one)."""
    try:
        restored = restore(folder, force, click.echo)
    except (BackupError, OSError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Restored {restored.rows} rows in {restored.tables} tables and {restored.files} stored file(s) from "
        f"{folder}; every count and checksum matches the manifest. If this riskreg is newer than the "
        "backup, run `flask db upgrade` next."
    )

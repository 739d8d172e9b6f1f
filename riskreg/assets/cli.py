"""`flask assets build`: run at install (`make install`, `make run`) and on every host at deploy."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

assets_cli = AppGroup("assets", help="The pages' files, precompressed for serving.")


@assets_cli.command("build")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Default: ASSETS_DIR.")
@click.option("--quality", type=click.IntRange(0, 11), default=11, show_default=True, help="Brotli's.")
def build_command(out: Path | None, quality: int) -> None:
    """Copy every asset to ASSETS_DIR with Brotli and gzip copies; restart the server to serve it."""
    from riskreg.assets.build import build
    from riskreg.assets.sources import CARTESIAN_PLOTLY, plotly_bundle

    target = out or current_app.config.get("ASSETS_DIR")
    if not target:
        raise click.UsageError("ASSETS_DIR is empty: give --out or set RISKREG_ASSETS_DIR.")
    report = build(current_app, Path(target), brotli_quality=quality)
    click.echo(f"Built {report} in {target}.")
    if plotly_bundle() != CARTESIAN_PLOTLY:
        click.echo("Plotly: the plotly package's full bundle (`npm ci` installs the smaller cartesian one).")

"""`flask export --out FILE.xlsx [--query "status=open&site=2"] [--year YYYY]`: the same workbook as
/export.xlsx."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl

import click
from flask.cli import with_appcontext
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from riskreg.exports import xlsx
from riskreg.i18n.languages import LANGUAGES
from riskreg.reports.disclosure import parse_year
from riskreg.risks.filters import parse_risk_filters


@click.command("export")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--query", default="", help='Register filters as on /risks, e.g. "status=open&site=2".')
@click.option("--by", "by", default="flask export (command line)", help="Who to name on the Legend sheet.")
@click.option("--year", default="", help="Year of the ASM disclosure sheet (default: this year).")
@click.option(
    "--lang",
    "lang",
    default="",
    type=click.Choice(["", *LANGUAGES]),
    help="Language of the workbook (default: RISKREG_DEFAULT_LOCALE).",
)
@with_appcontext
def export_command(out: Path, query: str, by: str, year: str, lang: str) -> None:
    """Export the register as an Excel workbook."""
    try:
        filters = parse_risk_filters(MultiDict(parse_qsl(query, keep_blank_values=True)))
    except BadRequest as error:
        raise click.BadParameter(str(error.description), param_hint="--query") from error
    try:
        disclosure_year = parse_year(year)
    except BadRequest as error:
        raise click.BadParameter(str(error.description), param_hint="--year") from error
    # Write beside the target and rename: a failed export never leaves a half-written file behind.
    partial = out.with_name(f".{out.name}.partial")
    try:
        with open(partial, "wb") as handle:
            ctx = xlsx.export_register(filters, by, handle, disclosure_year, locale=lang or None)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    click.echo(
        f"Wrote {ctx.counts.get('risks', 0)} risks and {ctx.counts.get('controls', 0)} controls to {out} "
        f"(ASM disclosure {ctx.year})."
    )

"""Command-line interface (`flask --app wsgi ...`): thin wrappers over the services."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from riskreg.auth.models import Role
from riskreg.extensions import db

seed_cli = AppGroup("seed", help="Load reference and demo data (safe to repeat).")
users_cli = AppGroup("users", help="Manage users.")
sites_cli = AppGroup("sites", help="ASM monitoring jobs.")
dashboard_cli = AppGroup("dashboard", help="The dashboard's monthly band snapshots and its kept counts.")
risks_cli = AppGroup("risks", help="Maintenance of the register.")
mail_cli = AppGroup("mail", help="The outbox of notifications.")


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet (for `make run`).")
def seed_demo(if_empty: bool) -> None:
    """Departments, three demo sites, the demo users and a demo register."""
    from riskreg.auth.models import User
    from riskreg.seeding import demo

    if if_empty and db.session.scalar(sa.select(sa.func.count(User.id))):
        click.echo("The database already has users: demo data not loaded.")
        return
    report = demo.load_demo()
    db.session.commit()
    click.echo(str(report))


@seed_cli.command("demo-logins")
def seed_demo_logins() -> None:
    """Print the demo accounts (local use only)."""
    from riskreg.seeding import demo

    click.echo("Demo sign-ins (local use only):")
    for email, role, password in demo.demo_logins():
        click.echo(f"  {email:<32} {role:<16} password: {password}")


@seed_cli.command("departments")
def seed_departments() -> None:
    from riskreg.seeding.reference import load_departments

    created = load_departments()
    db.session.commit()
    click.echo(f"Created {created} department(s).")


@seed_cli.command("appetite")
def seed_appetite() -> None:
    """The appetite per category from seeds/appetite.toml, for categories that have none yet."""
    from riskreg.appetite.services import load_seed

    created = load_seed()
    db.session.commit()
    click.echo(f"Set the appetite of {created} categor{'y' if created == 1 else 'ies'}.")


@seed_cli.command("scale")
@click.option("--risks", type=click.IntRange(1, 2_000_000), required=True, help="How many risks.")
@click.option("--controls-per-risk", type=click.IntRange(0, 20), default=3, show_default=True)
@click.option("--audit-events-per-risk", type=click.IntRange(0, 100), default=10, show_default=True)
@click.option("--sites", type=click.IntRange(1, 10_000), default=40, show_default=True)
@click.option("--departments", type=click.IntRange(1, 500), default=11, show_default=True)
@click.option("--users", type=click.IntRange(1, 100_000), default=60, show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed (same seed, same data).")
@click.option("--allow-real-data", is_flag=True, help="Write even into a database holding real data.")
def seed_scale_command(allow_real_data: bool, **options: int) -> None:
    """Fill a scratch database with a large synthetic register (for benchmarks)."""
    import time

    from riskreg.seeding import scale

    started = time.perf_counter()
    try:
        created = scale.seed_scale(scale.ScaleOptions(**options), allow_real_data=allow_real_data)
    except scale.RealDataError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    scale.refresh_statistics()
    summary = ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in created.items())
    click.echo(f"Created {summary} in {time.perf_counter() - started:.1f} s.")


@seed_cli.command("standards")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Catalogue to load (default: seeds/standards.toml).",
)
def seed_standards(path: str | None) -> None:
    """Load or update the standards catalogue; refuses to drop requirements that are linked."""
    from riskreg.standards.catalogue import CatalogueError, load_standards

    try:
        report = load_standards(path)
    except CatalogueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(str(report))


@seed_cli.command("indicators")
def seed_indicators() -> None:
    """Load or update the key risk indicator library (seeds/indicators.toml) and compute it at every site."""
    from riskreg.indicators.library import LibraryError
    from riskreg.indicators.services import refresh_all
    from riskreg.seeding.reference import load_indicator_library

    try:
        report = load_indicator_library()
    except LibraryError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    triggers = refresh_all(actor=None)
    db.session.commit()
    click.echo(f"{report} {len(triggers)} trigger(s).")


@sites_cli.command("refresh-presence")
def sites_refresh_presence() -> None:
    """Re-derive the ASM presence of sites that follow their observations (run daily)."""
    from riskreg.sites.monitoring import refresh_all

    changed = refresh_all(actor=None)
    db.session.commit()
    for site, changes in changed:
        old, new = changes["asm_presence"]
        click.echo(f"{site.name}: {old} -> {new}")
    click.echo(f"{len(changed)} site(s) changed.")


def read_password() -> str:
    """Hidden prompt with confirmation; two lines on stdin when it is piped."""
    if not sys.stdin.isatty():
        first, second = sys.stdin.readline().rstrip("\r\n"), sys.stdin.readline().rstrip("\r\n")
        if first != second:
            raise click.ClickException("The two passwords differ.")
        return first
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--department", default=None, help="Department name (required for department heads).")
def users_create(email: str, name: str, role: str, department: str | None) -> None:
    """Create a user; the password is asked for twice (or read as two lines from stdin)."""
    from riskreg.auth import services

    password = read_password()
    try:
        user = services.create_user(
            email=email, name=name, role=role, password=password, department=department
        )
    except services.UserError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}.")


@dashboard_cli.command("snapshot")
def dashboard_snapshot() -> None:
    """Keep this month's counts of open risks per band (safe to repeat; run it monthly or daily)."""
    from riskreg.dashboard import trend
    from riskreg.modeling import today

    month = trend.month_start(today())
    written = trend.take_snapshot(month)
    db.session.commit()
    if written:
        click.echo(f"Recorded the snapshot of {month:%Y-%m} ({written} rows).")
    else:
        click.echo(f"The snapshot of {month:%Y-%m} is already there: nothing to do.")


@dashboard_cli.command("backfill")
def dashboard_backfill() -> None:
    """Rebuild the months that have no snapshot from the audit trail (safe to repeat)."""
    from riskreg.dashboard import trend

    written = trend.backfill()
    db.session.commit()
    if written:
        months = ", ".join(f"{m:%Y-%m}" for m in sorted(written))
        click.echo(f"Rebuilt {len(written)} month(s) from the audit trail: {months}.")
    else:
        click.echo("Every month since the first audited risk has a snapshot: nothing to do.")


@dashboard_cli.command("recount")
@click.option(
    "--check", is_flag=True, help="Only compare the kept counts with a recount; exit 1 if they differ."
)
def dashboard_recount(check: bool) -> None:
    """Rebuild the counts the dashboard and the register read (heatmap cells, controls) from the rows
    (a repair: the database's triggers keep them on every write; safe to repeat)."""
    from riskreg.dashboard import counts

    if check:
        wrong = counts.differences()
        click.echo(f"Kept counts that differ from the risks and controls: {wrong}.")
        if wrong:
            raise SystemExit(1)
        return
    wrong = counts.recount()
    db.session.commit()
    click.echo(
        f"Recounted the kept counts: {wrong} were wrong." if wrong else "Recounted: every count was true."
    )


@risks_cli.command("rerank")
@click.option("--check", is_flag=True, help="Only count the stale band ranks; exit 1 if there are any.")
def risks_rerank(check: bool) -> None:
    """Recompute the stored band ranks (the register's sort by band) after the matrix file or preset
    changed; safe to repeat, it writes only the ranks that differ."""
    from riskreg.risks import ranks

    if check:
        stale = ranks.count_stale()
        click.echo(f"Stale band ranks: {stale['inherent']} inherent, {stale['residual']} residual.")
        if any(stale.values()):
            raise SystemExit(1)
        return
    changed = ranks.rerank()
    db.session.commit()
    click.echo(f"Recomputed band ranks: {changed['inherent']} inherent, {changed['residual']} residual.")


@mail_cli.command("retry")
@click.option("--limit", type=click.IntRange(1, 10_000), default=500, show_default=True, help="per run")
def mail_retry_command(limit: int) -> None:
    """Send the notifications still queued (a mail server was down); run it from cron."""
    from riskreg import mail

    report = mail.retry(limit)
    click.echo(f"Sent {len(report.sent)}, failed {len(report.failed)}, still queued {mail.queued_count()}.")
    for address, error in report.failed:
        click.echo(f"not sent to {address}: {error}", err=True)
    if report.failed:
        raise SystemExit(1)


def register(app: Flask) -> None:
    from riskreg.acceptances.cli import acceptances_cli
    from riskreg.api.cli import tokens_cli
    from riskreg.assets.cli import assets_cli
    from riskreg.backup.cli import backup_cli
    from riskreg.controls.reminders import reminders_cli
    from riskreg.critical.cli import verifications_cli
    from riskreg.exports.commands import export_command
    from riskreg.grievances.cli import grievances_cli
    from riskreg.indicators.cli import indicators_cli
    from riskreg.jobs.cli import jobs_cli
    from riskreg.reviews.reminders import reviews_cli
    from riskreg.storage.cli import storage_cli
    from riskreg.webhooks.cli import webhooks_cli

    for group in (seed_cli, users_cli, sites_cli, dashboard_cli, risks_cli, mail_cli):
        app.cli.add_command(group)
    for command in (
        reminders_cli,
        export_command,
        indicators_cli,
        reviews_cli,
        verifications_cli,
        acceptances_cli,
        grievances_cli,
        tokens_cli,
        webhooks_cli,
        assets_cli,
        storage_cli,
        backup_cli,
        jobs_cli,
    ):
        app.cli.add_command(command)

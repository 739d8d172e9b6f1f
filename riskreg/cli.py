"""Command-line interface (`flask --app wsgi ...`): thin wrappers over the services."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from riskreg.extensions import db

seed_cli = AppGroup("seed", help="Load reference and demo data (safe to repeat).")
users_cli = AppGroup("users", help="Manage users.")


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
@click.option(
    "--role", required=True, type=click.Choice(["admin", "risk_manager", "department_head", "executive"])
)
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


def register(app: Flask) -> None:
    from riskreg.exports.commands import export_command

    for group in (seed_cli, users_cli):
        app.cli.add_command(group)
    app.cli.add_command(export_command)

"""`flask tokens create`: a personal access token for a user (service accounts, scripts)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from riskreg.extensions import db

tokens_cli = AppGroup("tokens", help="Personal access tokens of the API.")


@tokens_cli.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What uses the token (shown in /me/tokens).")
@click.option("--read-only", is_flag=True, help="May only read.")
@click.option("--days", type=int, default=90, show_default=True, help="Days until it expires (at most 365).")
def tokens_create(email: str, name: str, read_only: bool, days: int) -> None:
    """Create a token and print it on stdout (it is shown once and stored only as a hash)."""
    from riskreg.api import tokens
    from riskreg.auth.models import User
    from riskreg.auth.services import normalise_email

    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"There is no user {email}.")
    try:
        created = tokens.create_token(user, name, read_only, days, actor=None)
    except tokens.TokenError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(created.secret)

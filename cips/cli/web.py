"""`cips web` (the development server of the back end) and `cips user ...` (accounts, tokens)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy import select

from cips.cli import context
from survey.campaigns import CampaignError, get_administration
from survey.storage.models import Role, User
from web.users import (
    AccountError,
    create_token,
    create_user,
    deactivate,
    set_password,
    set_role,
)


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Reload on code changes, show tracebacks.")
def web(host: str, port: int, debug: bool) -> None:
    """Run the web back end on the development server (production: gunicorn, see the Procfile)."""
    context.database().dispose()  # refuses to start on an old schema
    # Plain HTTP on the development server: cookies cannot be `Secure` there.
    os.environ.setdefault("CIPS_WEB_INSECURE_COOKIES", "1")
    from web import create_app

    click.echo(
        f"cips web on http://{host}:{port}/ (development server; use gunicorn in production)"
    )
    create_app().run(host=host, port=port, debug=debug)


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        return password_file.read_text(encoding="utf-8").rstrip("\r\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


def _user(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    return user


@click.group()
def user() -> None:
    """Accounts of the web back end: admins, coordinators and analysts."""


@user.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--administration", "administration_code", help="Required for coordinators and analysts."
)
@click.option("--password-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Read the password from this file (else it is prompted).")  # fmt: skip
def user_create(
    username: str, role: str, administration_code: str | None, password_file: Path | None
) -> None:
    """Create the account USERNAME."""
    db = context.database()
    password = _password(password_file)
    try:
        with db.transaction() as session:
            administration = (
                get_administration(session, administration_code) if administration_code else None
            )
            created = create_user(session, username, password, role, administration)
            scope = f" of {administration.code}" if administration else ""
            context.audit_record(session, "user.create", administration=administration_code,
                                 detail=f"{username}: {role}{scope}")  # fmt: skip
            click.echo(f"user {created.username} created ({role}{scope})")
    except (AccountError, CampaignError) as exc:
        raise click.ClickException(str(exc)) from exc


@user.command("list")
def user_list() -> None:
    """Every account with its role and administration."""
    with context.database().transaction() as session:
        for row in session.scalars(select(User).order_by(User.username)):
            scope = row.administration.code if row.administration else "*"
            state = "" if row.active else "  (deactivated)"
            click.echo(f"{row.username:<24} {row.role:<12} {scope}{state}")


@user.command("password")
@click.argument("username")
@click.option("--password-file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def user_password(username: str, password_file: Path | None) -> None:
    """Set a new password; every web session of USERNAME is signed out."""
    with context.database().transaction() as session:
        try:
            set_password(session, _user(session, username), _password(password_file))
            context.audit_record(session, "user.password", detail=username)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"password of {username} changed")


@user.command("deactivate")
@click.argument("username")
def user_deactivate(username: str) -> None:
    """Refuse every sign-in and API token of USERNAME from now on; sign out its sessions."""
    with context.database().transaction() as session:
        deactivate(session, _user(session, username))
        context.audit_record(session, "user.deactivate", detail=username)
    click.echo(f"user {username} deactivated")


@user.command("role")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--administration", "administration_code", help="Required for coordinators and analysts."
)
def user_role(username: str, role: str, administration_code: str | None) -> None:
    """Give USERNAME another role (and administration); its web sessions are signed out."""
    try:
        with context.database().transaction() as session:
            administration = (
                get_administration(session, administration_code) if administration_code else None
            )
            set_role(session, _user(session, username), role, administration)
            scope = f" of {administration_code}" if administration_code else ""
            context.audit_record(session, "user.role", administration=administration_code,
                                 detail=f"{username}: {role}{scope}")  # fmt: skip
    except (AccountError, CampaignError) as exc:
        raise click.ClickException(str(exc)) from exc
    scope = f" of {administration_code}" if administration_code else ""
    click.echo(f"user {username} is now {role}{scope}")


@user.command("token")
@click.argument("username")
@click.option("--label", required=True, help="What script uses the token.")
def user_token(username: str, label: str) -> None:
    """Create an API token for USERNAME and print it (it is shown only this once)."""
    with context.database().transaction() as session:
        try:
            token = create_token(session, _user(session, username), label)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(token)

"""`cips web` (the development server of the back end) and `cips user ...` (accounts, tokens,
two-factor resets)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy import select

from cips.cli import context
from survey.campaigns import CampaignError, get_administration
from survey.storage.models import ApiToken, Role, User
from web import two_factor
from web.users import (
    TOKEN_DAYS,
    AccountError,
    create_token,
    create_user,
    deactivate,
    revoke_token,
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


@user.command("reset-2fa")
@click.argument("username")
def user_reset_2fa(username: str) -> None:
    """Forget USERNAME's two-factor key and recovery codes (a lost phone); sign out its
    sessions. If two-factor sign-in is required for them, they enrol again at the next sign-in."""
    with context.database().transaction() as session:
        found = _user(session, username)
        two_factor.reset(session, found)
        context.audit_record(session, "2fa.reset", detail=username)
    click.echo(f"two-factor sign-in of {username} reset: they enrol again after signing in")


@user.command("token")
@click.argument("username")
@click.option("--label", required=True, help="What script uses the token.")
@click.option(
    "--administration",
    "administration_code",
    help="The administration it reads (an admin's token: every one if left out).",
)
@click.option("--write", is_flag=True, help="Read-write (read-only by default).")
@click.option("--days", default=TOKEN_DAYS, show_default=True, type=int,
              help="Days until it expires (at most 365).")  # fmt: skip
def user_token(
    username: str, label: str, administration_code: str | None, write: bool, days: int
) -> None:
    """Create an API token for USERNAME and print it (it is shown only this once)."""
    with context.database().transaction() as session:
        try:
            administration = (
                get_administration(session, administration_code) if administration_code else None
            )
            token = create_token(session, _user(session, username), label,
                                 administration=administration, read_only=not write,
                                 days=days)  # fmt: skip
            context.audit_record(session, "token.create", administration=administration_code,
                                 detail=f"{username}: {label}")  # fmt: skip
        except (AccountError, CampaignError) as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(token)


@user.command("tokens")
@click.argument("username")
def user_tokens(username: str) -> None:
    """USERNAME's API tokens: id, label, administration, access, expiry, last use."""
    with context.database().transaction() as session:
        found = _user(session, username)
        for row in session.scalars(
            select(ApiToken).where(ApiToken.user_id == found.id).order_by(ApiToken.id)
        ):
            scope = row.administration.code if row.administration else "*"
            access = "read" if row.read_only else "read-write"
            expires = row.expires_at.date().isoformat() if row.expires_at else "never"
            used = row.last_used_on.isoformat() if row.last_used_on else "never"
            click.echo(f"{row.id:<6} {row.label:<24} {scope:<6} {access:<10} "
                       f"expires {expires}  last used {used}")  # fmt: skip


@user.command("revoke-token")
@click.argument("username")
@click.argument("token_id", type=int)
def user_revoke_token(username: str, token_id: int) -> None:
    """Revoke USERNAME's API token TOKEN_ID (see `cips user tokens`): refused from now on."""
    with context.database().transaction() as session:
        if not revoke_token(session, _user(session, username), token_id):
            raise click.ClickException(f"{username} has no token {token_id}")
        context.audit_record(session, "token.revoke", detail=f"{username}: {token_id}")
    click.echo(f"token {token_id} of {username} revoked")

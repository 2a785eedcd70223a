"""`cips run`: the embedded default, the whole product in one process on SQLite."""

from __future__ import annotations

import asyncio
import os

import click

from cips.cli import context
from cips.embedded import (
    ADMIN_USERNAME,
    DatabaseBusy,
    Embedded,
    local_telegram,
    prepare_first_run,
    sole_bot,
)
from survey.storage.migrate import upgrade


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address of the web pages (0.0.0.0: reachable from other machines).")  # fmt: skip
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Bot, web back end and clock in one process (a local chat page if no bot token is set)."""
    settings = context.settings()
    try:
        with sole_bot(settings.database_url):
            _run(settings, host, port)
    except DatabaseBusy as exc:
        raise click.ClickException(str(exc)) from exc


def _run(settings, host: str, port: int) -> None:
    upgrade(settings.database_url)  # the embedded default sets up its own database
    db = context.database()
    questionnaires = context.questionnaires()
    first = prepare_first_run(db, questionnaires)
    # Plain HTTP on a laptop: cookies cannot be `Secure` there.
    os.environ.setdefault("CIPS_WEB_INSECURE_COOKIES", "1")
    from web import chat, create_app

    app = create_app()
    telegram = None if settings.telegram_token else local_telegram()
    if telegram is not None:
        chat.init_app(app, telegram)
    try:
        embedded = Embedded(settings, db, questionnaires, app, host=host, port=port,
                             telegram=telegram).start()  # fmt: skip
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    _welcome(embedded, first)
    asyncio.run(embedded.run_bot())


def _welcome(embedded: Embedded, first) -> None:
    url = embedded.url
    click.echo()
    click.secho(f"cips is running: {url}/", bold=True)
    if first.admin_password:
        click.echo(f"  Sign in as {ADMIN_USERNAME!r} with the password {first.admin_password}")
        click.echo(
            f"  (shown only this once; change it with `cips user password {ADMIN_USERNAME}`)"
        )
    if first.campaigns:
        click.echo(f"  Demo campaigns created: {', '.join(first.campaigns)}")
    if embedded.telegram is not None:
        click.echo(f"  Answer the survey as a respondent would: {url}/chat")
        click.echo("  (no TELEGRAM_BOT_TOKEN set: this chat page stands in for Telegram;")
        click.echo("   set the token of a bot made with @BotFather to reach real phones)")
    else:
        click.echo("  The Telegram bot is connected: open your bot's link in Telegram.")
    click.echo("  Fill it with simulated respondents: `cips demo` (in another terminal: stop")
    click.echo("  this one first, or it will answer their messages itself). Ctrl-C to stop.")
    click.echo()

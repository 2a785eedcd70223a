"""`cips bot`: the Telegram bot (polling by default, `--webhook URL` for production)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.run import Webhook, serve
from cips.cli import context


@click.command("bot")
@click.option(
    "--webhook",
    "webhook_url",
    metavar="URL",
    help="Public HTTPS URL Telegram should call instead of being polled.",
)
@click.option(
    "--listen", default="0.0.0.0", show_default=True, help="Address the webhook server listens on."
)
@click.option(
    "--port",
    type=int,
    envvar="PORT",
    default=8443,
    show_default=True,
    help="Port of the webhook server ($PORT).",
)
@click.option(
    "--heartbeat",
    type=click.Path(path_type=Path),
    envvar="CIPS_HEARTBEAT_FILE",
    help="File touched every 10 s while the bot is alive (liveness checks).",
)
def bot(webhook_url: str | None, listen: str, port: int, heartbeat: Path | None) -> None:
    """Run the Telegram bot (TELEGRAM_BOT_TOKEN; TELEGRAM_API_URL for another Bot API server)."""
    settings = context.settings()
    if not settings.telegram_token:
        raise click.ClickException(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram and set "
            "the token it gives you (see the README, 'Connecting a real bot')."
        )
    webhook = Webhook(webhook_url, listen, port) if webhook_url else None
    asyncio.run(
        serve(
            settings,
            context.database(),
            context.questionnaires(),
            webhook=webhook,
            heartbeat=heartbeat,
        )
    )

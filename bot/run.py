"""Running the bot: build python-telegram-bot's Application, then poll or serve a webhook.

Exactly one bot process talks to Telegram. It handles updates, sends the outbox (replies and
the clock's reminders) at Telegram's pace, and keeps the command menu in every language; its
database work runs in a small thread pool (`bot.database`). (The clock purges its
record of handled updates.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from telegram import Bot, BotCommand
from telegram.ext import Application

from bot.database import BotDatabase, DatabaseUnavailable
from bot.handlers import install
from bot.messages import COMMAND_DESCRIPTIONS
from bot.pacing import Limits, Pacer
from bot.render import form_url
from bot.request import AiohttpRequest
from bot.sender import OutboxSender
from bot.service import HTTP_CONNECTIONS, BotService
from bot.updates import ALLOWED_UPDATES, poll, webhook_server
from survey import liveness
from survey.anonymity import keyed_hash
from survey.config import Settings
from survey.engine import ConversationEngine
from survey.engine.inputs import COMMANDS
from survey.i18n import SOURCE_LANGUAGE, Text, available_languages, render
from survey.questionnaire import Questionnaire
from survey.storage.db import Database

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 10


@dataclass(frozen=True)
class Webhook:
    url: str  # the public HTTPS address Telegram calls
    listen: str = "0.0.0.0"
    port: int = 8443


def build_application(settings: Settings) -> tuple[Application, AiohttpRequest]:
    """The application, and its getUpdates connection (polled by `bot.updates.poll`)."""
    if not settings.telegram_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set (create a bot with @BotFather)")
    api = settings.telegram_api_url.rstrip("/")
    # Waits LONG_POLL_S on top of this read timeout.
    updates_request = AiohttpRequest(1, read_timeout=10)
    application = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .updater(None)  # updates are fetched by bot.updates, confirmed only once handled
        .request(AiohttpRequest(HTTP_CONNECTIONS))
        .get_updates_request(updates_request)
        .build()
    )
    return application, updates_request


async def set_commands(bot: Bot) -> None:
    """The command menu, in every language; English also as the default, set last."""
    for language in [*available_languages(), None]:
        commands = [
            BotCommand(name, render(Text(COMMAND_DESCRIPTIONS[name]), language or SOURCE_LANGUAGE))
            for name in COMMANDS
        ]
        await bot.set_my_commands(commands, language_code=language)


def webhook_secret(settings: Settings) -> str:
    return keyed_hash(settings.secret_key, "telegram-webhook")[:64]


async def serve(
    settings: Settings,
    db: Database,
    questionnaires: dict[str, Questionnaire],
    *,
    webhook: Webhook | None = None,
    stop: asyncio.Event | None = None,
    heartbeat: Path | None = None,
    remember_username: bool = True,
) -> None:
    """Run until `stop` is set (or SIGTERM / SIGINT). `remember_username`: store the username
    Telegram's getMe gives (survey.bot_identity), for the links of the web and the command line;
    off for a stand-in Telegram, whose bot no link can reach."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    engine = ConversationEngine(
        db,
        questionnaires,
        settings.secret_key,
        min_cell=settings.min_cell,
        old_secret_keys=settings.old_secret_keys,
    )
    database = BotDatabase(engine, form_url(settings.public_url))
    try:
        await _serve(settings, database, webhook, stop, heartbeat, remember_username)
    finally:
        database.close()
        log.info("bot stopped")


async def _serve(
    settings: Settings,
    database: BotDatabase,
    webhook: Webhook | None,
    stop: asyncio.Event,
    heartbeat: Path | None,
    remember_username: bool,
) -> None:
    service = BotService(database)
    application, updates_request = build_application(settings)
    install(application, service)
    await application.initialize()
    bot = application.bot
    limits = Limits(settings.send_rate, settings.chat_rate, settings.chat_burst,
                    lift_replies=settings.replies_unlimited)  # fmt: skip
    sender = OutboxSender(database, bot, Pacer(limits), service.api_calls)
    service.written = sender.wake
    sender_stop = asyncio.Event()
    sending = asyncio.create_task(sender.run(sender_stop))
    chores = asyncio.create_task(_heartbeat(heartbeat, stop, sender))
    server = None
    try:
        if remember_username:
            await _remember_username(database, bot.username)
        await set_commands(bot)
        log.info(
            "bot @%s connected to %s", bot.username, urlsplit(settings.telegram_api_url).netloc
        )
        if webhook is None:
            await bot.delete_webhook()
            log.info("polling for updates")
            await poll(application, updates_request, stop)
        else:
            secret = webhook_secret(settings)
            server = webhook_server(application, urlsplit(webhook.url).path or "/", secret)
            server.listen(webhook.port, webhook.listen)
            await bot.set_webhook(webhook.url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            log.info("webhook set; listening on %s:%s", webhook.listen, webhook.port)
            await stop.wait()
    finally:
        if server is not None:
            server.stop()
        sender_stop.set()
        await sending
        chores.cancel()
        await application.shutdown()


async def _remember_username(database: BotDatabase, username: str) -> None:
    try:
        await database.remember_bot_username(username)
    except (DatabaseUnavailable, ValueError) as exc:
        # The bot can serve without it; links go on saying they do not work yet.
        log.warning("could not store the bot's username @%s: %s", username, exc)
    else:
        log.info("links use the bot's username @%s (from Telegram)", username)


async def _heartbeat(heartbeat: Path | None, stop: asyncio.Event, sender: OutboxSender) -> None:
    """Touch the liveness file for the process manager while the bot runs, with the sender's
    figures in it (`cips health` shows them)."""
    while heartbeat is not None and not stop.is_set():
        liveness.beat(heartbeat, sender.figures())
        await asyncio.sleep(HEARTBEAT_EVERY_S)

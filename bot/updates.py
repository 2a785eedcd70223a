"""Where updates come from: long polling, or a webhook; each confirmed only once handled.

Polling asks for the next batch with `offset` past the last one only after every update of the
batch went through the engine (committed), so a crash loses nothing: Telegram hands the batch
out again, and the handled-updates record (`bot.database`) makes the repeats change nothing.
Updates of one chat are handled in order, different chats in parallel.

Updates are read from the Bot API's JSON as python-telegram-bot objects, except for what the bot
never reads: a pressed button's message comes with its whole text and keyboard, and turning
those into objects was a tenth of the bot's CPU; only its id, date and chat are kept.

The webhook answers Telegram only after the update is handled (a failure answers 500 and Telegram
retries), and refuses any call without the secret token header set with `setWebhook`. It decides
from the headers alone, before reading a byte of the body: a wrong or missing secret answers 403
and a `Content-Length` over WEBHOOK_MAX_BODY (1 MiB; an update is a few kilobytes, a message at
most 4,096 characters) answers 413, and the connection is closed without reading the rest. A
body sent without a length (chunked) is cut by tornado at the same size (400). A body must
arrive within WEBHOOK_BODY_TIMEOUT_S.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.request import BaseRequest
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler, stream_request_body

from bot.handlers import failed
from bot.request import call

log = logging.getLogger(__name__)

LONG_POLL_S = 25
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PRESSED_MESSAGE_FIELDS = ("message_id", "date", "chat")  # all the handlers read of it
WEBHOOK_MAX_BODY = 1024 * 1024
WEBHOOK_BODY_TIMEOUT_S = 30


def update_from(data: dict, bot) -> Update:
    """An update as python-telegram-bot's object, without the pressed message's content."""
    query = data.get("callback_query")
    if query is not None and isinstance(query.get("message"), dict):
        message = query["message"]
        query["message"] = {k: message[k] for k in PRESSED_MESSAGE_FIELDS if k in message}
    return Update.de_json(data, bot)


async def handle_batch(application: Application, updates: list[Update]) -> int | None:
    """Handle the updates; the id of the first one that failed (to fetch again), if any."""
    by_chat: dict[int | None, list[Update]] = {}
    for update in updates:
        chat = update.effective_chat.id if update.effective_chat else None
        by_chat.setdefault(chat, []).append(update)

    async def in_order(chat_updates: list[Update]) -> None:
        for update in chat_updates:
            await application.process_update(update)

    await asyncio.gather(*(in_order(u) for u in by_chat.values()))
    ids = {u.update_id for u in updates}
    failures = failed(application)
    first_failed = min(failures & ids, default=None)
    failures.difference_update(ids)
    return first_failed


def _readable(batch: list[dict], bot) -> list[Update]:
    """The batch's updates; one that cannot be read (a kind or shape this version does not
    know) is skipped with a warning, never its content (it carries ids): it must not stop the
    bot, nor be fetched again and again (the offset moves past the whole batch)."""
    updates = []
    for data in batch:
        try:
            updates.append(update_from(data, bot))
        except Exception as exc:
            log.warning("update %s could not be read (%s): skipped", data.get("update_id"),
                        type(exc).__name__)  # fmt: skip
    return updates


async def poll(application: Application, request: BaseRequest, stop: asyncio.Event) -> None:
    """Long polling through `request` (the application's getUpdates connection)."""
    bot = application.bot
    offset: int | None = None
    backoff = 1.0
    while not stop.is_set():
        try:
            fetching = call(
                bot,
                "getUpdates",
                via=request,
                read_timeout=LONG_POLL_S + (request.read_timeout or 0),
                offset=offset,
                timeout=LONG_POLL_S,
                allowed_updates=ALLOWED_UPDATES,
            )
            fetch = asyncio.ensure_future(fetching)
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not fetch.done():
                fetch.cancel()
                break
            batch = fetch.result()
            updates = _readable(batch, bot)
            backoff = 1.0
        except RetryAfter as exc:
            await asyncio.sleep(_seconds(exc.retry_after))
            continue
        except (NetworkError, TelegramError) as exc:
            log.warning("getUpdates failed (%s), retrying in %.0f s", type(exc).__name__, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60)
            continue
        if batch:
            first_failed = await handle_batch(application, list(updates))
            if first_failed is None:
                offset = batch[-1]["update_id"] + 1
            else:  # fetched again after a pause; those handled meanwhile are skipped then
                offset = first_failed
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


@stream_request_body
class WebhookHandler(RequestHandler):
    """POST an update. With `stream_request_body`, `prepare` runs as soon as the headers are in,
    before tornado reads the body: a refusal there finishes the response and tornado closes the
    connection instead of reading on."""

    def initialize(self, telegram: Application, secret: str) -> None:
        self.telegram = telegram
        self.secret = secret
        self.chunks: list[bytes] = []

    def prepare(self) -> None:
        if self.request.method != "POST":
            return  # tornado answers 405
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook call without the right secret token: refused")
            self.set_status(403)
            self.finish()
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > WEBHOOK_MAX_BODY):
            log.warning("webhook call of %s bytes: refused unread", length)
            self.set_status(413)
            self.finish()
            return
        self.request.connection.set_max_body_size(WEBHOOK_MAX_BODY)  # a chunked body too

    def data_received(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    async def post(self) -> None:
        try:
            update = update_from(json.loads(b"".join(self.chunks)), self.telegram.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            self.set_status(400)
            return
        await self.telegram.process_update(update)
        if update.update_id in failed(self.telegram):
            failed(self.telegram).discard(update.update_id)
            self.set_status(500)  # Telegram delivers it again later
            return
        self.set_status(200)

    def check_xsrf_cookie(self) -> None:  # Telegram's calls carry no cookie; the secret guards
        return


def webhook_server(application: Application, path: str, secret: str) -> HTTPServer:
    app = WebApplication([(path, WebhookHandler, {"telegram": application, "secret": secret})])
    return HTTPServer(
        app,
        xheaders=True,
        max_body_size=WEBHOOK_MAX_BODY,
        body_timeout=WEBHOOK_BODY_TIMEOUT_S,
    )

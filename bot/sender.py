"""The one sending path: outbox rows to the Bot API, paced, retried, in order, never dropped.

The sender reads the outbox when a turn of the bot has committed (`wake`) and every second (the
clock's reminders, rows a crash left behind). Rows are queued per chat as they come (a turn's
rows in order, a chat's turns one after the other); each chat's queue is drained by its own task,
one message at a time, so a chat's messages arrive in the order they were written, while other
chats go on. A row is deleted once Telegram accepted it (deletes are batched: whatever
accumulated while the last batch committed), and stays "in flight" until then so that it is not
loaded twice; loading and deleting take turns, since a load that read a row before its delete
committed would otherwise queue it again. A crash between
Telegram's answer and that commit is the only way a message can be sent twice; nothing is ever
dropped except what Telegram refuses for good (see `_send_one`).

- 429 Too Many Requests: wait `retry_after`, then send the same message again.
- 403 Forbidden (the person blocked the bot or deleted their account): the chat's queued messages
  are dropped and its contact marked unreachable, which stops reminders.
- 400 Bad Request: "message is not modified" means an edit was made already (sent again after
  a crash: edits are idempotent); a question card that can no longer be edited (the person
  cleared the chat) is sent as a new card; anything else is dropped and logged.

One card per chat: a button answer edits the card in place (`bot.outbox.payloads_for`); before
a new card is sent (after a typed answer, a reminder's Continue, a command), the chat's previous
card is collapsed, edited to its text without buttons, so that only the newest can be answered.
- Network errors and 5xx: retried with exponential backoff, up to a minute between tries.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque
from dataclasses import dataclass, replace

from cachetools import LRUCache
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.database import BotDatabase, DatabaseUnavailable
from bot.outbox import EDIT, LAST_QUESTION, SEND, Row
from bot.outbox import payload as outbox_payload
from bot.pacing import Pacer
from bot.render import WEB_APP, message_of
from bot.request import call
from survey.engine.replies import reply_from_data
from survey.reminders import REMINDER_KIND

log = logging.getLogger(__name__)

RESCAN_EVERY_S = 1.0
MAX_BACKOFF_S = 60.0
SHUTDOWN_GRACE_S = 10.0
REMINDER_CONNECTIONS = 2  # of the HTTP connections, what reminders may hold at once
CARDS_KEPT = 50_000  # chats whose current card is remembered (about 1 KB each at most)
NOT_MODIFIED = "message is not modified"


@dataclass(frozen=True)
class Card:
    """A chat's current question card: its message, its text, and whether it shows buttons."""

    message_id: int
    text: str
    buttons: bool


class OutboxSender:
    def __init__(
        self,
        database: BotDatabase,
        bot: Bot,
        pacer: Pacer,
        api_calls: asyncio.Semaphore,
    ):
        self.database = database
        self.api_calls = api_calls
        self.reminder_calls = asyncio.Semaphore(REMINDER_CONNECTIONS)
        self.bot = bot
        self.pacer = pacer
        self.queues: dict[str, deque[Row]] = {}
        self.drains: set[asyncio.Task] = set()
        self.in_flight: set[int] = set()
        # Loading and deleting take turns (see the module docstring).
        self.outbox_turn = asyncio.Lock()
        self.sent_ids: list[int] = []
        self.acked = asyncio.Event()
        self.woken = asyncio.Event()
        self.too_many: deque[float] = deque()  # when Telegram answered 429 (the last hour)
        # chat -> its current question card: edited in place, collapsed before a new one.
        # Kept in memory (bounded): after a restart the card sent before it is not collapsed.
        self.cards: LRUCache[str, Card] = LRUCache(maxsize=CARDS_KEPT)
        self.stopping = False

    async def run(self, stop: asyncio.Event) -> None:
        drained = asyncio.Event()  # set once no chat is sending any more
        acker = asyncio.create_task(self._acknowledge(drained))
        try:
            while not stop.is_set():
                self.pacer.forget_idle()
                self.woken.clear()
                async with self.outbox_turn:
                    try:
                        rows, undecryptable = await self.database.due(self.in_flight)
                    except DatabaseUnavailable as exc:
                        log.warning("reading the outbox failed (%s), trying again", exc)
                        rows, undecryptable = [], []
                    self.sent_ids.extend(undecryptable)
                    for row in rows:
                        self._queue(row)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(RESCAN_EVERY_S):
                        await _first(stop.wait(), self.woken.wait())
        finally:
            # Let each chat finish the message it is sending (so that it is acknowledged and
            # not sent again after the restart), then stop.
            self.stopping = True
            if self.drains:
                await asyncio.wait(self.drains, timeout=SHUTDOWN_GRACE_S)
            for task in list(self.drains):
                task.cancel()
            await asyncio.gather(*self.drains, return_exceptions=True)
            drained.set()
            await acker

    # -- loading -------------------------------------------------------------------------------

    def figures(self) -> dict:
        """For the liveness file (`cips health`): 429s in the last hour, messages queued."""
        hour_ago = time.monotonic() - 3600
        while self.too_many and self.too_many[0] < hour_ago:
            self.too_many.popleft()
        return {"429_last_hour": len(self.too_many), "queued": len(self.in_flight)}

    def wake(self) -> None:
        """A turn of the bot committed rows: read the outbox now."""
        self.woken.set()

    def _queue(self, row: Row) -> None:
        if row.id in self.in_flight:
            return
        self.in_flight.add(row.id)
        queue = self.queues.get(row.chat)
        if queue is None:
            queue = self.queues[row.chat] = deque()
            task = asyncio.create_task(self._drain(row.chat, queue))
            self.drains.add(task)
            task.add_done_callback(self.drains.discard)
        queue.append(row)

    # -- sending -------------------------------------------------------------------------------

    async def _drain(self, chat: str, queue: deque[Row]) -> None:
        try:
            while queue and not self.stopping:
                row = queue[0]
                try:
                    delivered = await self._send_one(row)
                except DatabaseUnavailable as exc:  # the row stays first in line
                    log.warning("sending waits for the database (%s)", exc)
                    await asyncio.sleep(1.0)
                    continue
                queue.popleft()
                self._done(row)
                if not delivered:  # Forbidden: nothing more can reach this chat
                    while queue:
                        self._done(queue.popleft())
        finally:
            self.queues.pop(chat, None)

    async def _send_one(self, row: Row) -> bool:
        """Send until Telegram accepts or refuses for good; False when the chat is unreachable."""
        backoff = 0.5
        if row.kind == REMINDER_KIND and not await self.database.in_progress(row.contact_id):
            return True  # finished, stopped or closed since the reminder was written
        reminder = row.kind == REMINDER_KIND
        while True:
            try:
                # Reminders waiting for spare capacity hold at most REMINDER_CONNECTIONS of the
                # HTTP connections; each call takes its turn once it holds one (`_paced`).
                turns = self.reminder_calls if reminder else contextlib.nullcontext()
                async with turns, self.api_calls:
                    await self._call(row, spare=reminder)
                return True
            except RetryAfter as exc:
                self.too_many.append(time.monotonic())
                delay = exc.retry_after
                if isinstance(delay, dt.timedelta):
                    delay = delay.total_seconds()
                log.info("Telegram asked to slow down for %s s", delay)
                await asyncio.sleep(float(delay))
            except Forbidden:
                log.info("a chat blocked the bot: its messages are dropped, reminders stopped")
                await self.database.unreachable(row.chat)
                return False
            except BadRequest as exc:
                if NOT_MODIFIED in exc.message.lower():
                    return True  # the edit was made already (sent again after a crash)
                if row.payload.get("method") == EDIT and row.payload.get("track"):
                    # The card is gone (the person cleared the chat): a new card instead.
                    log.info("a card could not be edited (%s): sent anew", exc.message)
                    self.cards.pop(row.chat, None)  # nothing left to collapse
                    row = replace(row, payload={**row.payload, "method": SEND})
                    continue
                log.warning("Telegram refused a %s: %s", row.payload.get("method"), exc.message)
                return True
            except (NetworkError, TelegramError) as exc:
                log.warning("sending failed (%s), retrying in %.1f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _paced(self, chat: str, method: str, *, spare: bool, **params) -> dict:
        """One message-counted call, in its turn (`Pacer.turn`): taken as the call leaves, once a
        connection is held (taken before, a wait for a connection would let messages paced a
        second apart leave together), and held until Telegram's answer came back."""
        async with self.pacer.turn(chat, spare=spare):
            # Chat ids are numbers (a JSON body keeps the type).
            return await call(self.bot, method, chat_id=int(chat), **params)

    async def _call(self, row: Row, *, spare: bool) -> None:
        payload = row.payload
        if "reply" in payload:  # written by another process (the clock's reminders)
            payload = outbox_payload(message_of(reply_from_data(payload["reply"])))
        keyboard = payload.get("keyboard") or []
        card = self.cards.get(row.chat)
        if payload["method"] == EDIT:
            message_id = payload.get("message_id")
            if message_id == LAST_QUESTION:
                message_id = card.message_id if card is not None else None
            if message_id is None:
                return  # nothing to edit (e.g. after a restart): the next question follows
            await self._paced(row.chat, "editMessageText", spare=spare, message_id=message_id,
                              text=payload["text"], reply_markup=_markup(keyboard))  # fmt: skip
            if card is not None and card.message_id == message_id:
                self.cards[row.chat] = Card(message_id, payload["text"], bool(keyboard))
        else:
            if keyboard and card is not None and card.buttons:
                await self._collapse(row.chat, card, spare=spare)
            message = await self._paced(row.chat, "sendMessage", spare=spare, text=payload["text"],
                                        reply_markup=_markup(keyboard))  # fmt: skip
            message_id = message["message_id"]
        if payload.get("track"):
            self.cards[row.chat] = Card(message_id, payload["text"], bool(keyboard))

    async def _collapse(self, chat: str, card: Card, *, spare: bool) -> None:
        """The chat's previous card without its buttons, before a new card is sent: only the
        newest card can be answered. Best effort: a card that cannot be edited any more stays."""
        with contextlib.suppress(BadRequest):
            await self._paced(chat, "editMessageText", spare=spare, message_id=card.message_id,
                              text=card.text, reply_markup=None)  # fmt: skip
        self.cards[chat] = Card(card.message_id, card.text, False)

    # -- acknowledging -------------------------------------------------------------------------

    def _done(self, row: Row) -> None:
        self.sent_ids.append(row.id)
        self.acked.set()

    async def _acknowledge(self, drained: asyncio.Event) -> None:
        """Delete sent rows in batches; a row leaves `in_flight` only once its delete committed."""
        while True:
            if not self.sent_ids:
                if drained.is_set():
                    return
                self.acked.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.2):
                        await self.acked.wait()
                continue
            ids, self.sent_ids = self.sent_ids, []
            async with self.outbox_turn:
                try:
                    await self.database.delete(ids)
                except DatabaseUnavailable as exc:
                    log.warning("deleting sent messages failed (%s), trying again", exc)
                    self.sent_ids[:0] = ids
                    await asyncio.sleep(1.0)
                    continue
                self.in_flight.difference_update(ids)


async def _first(*waits) -> None:
    """Wait until the first of these awaitables is done; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _markup(rows: list[list[list[str]]]) -> dict | None:
    """An inline keyboard as the Bot API takes it (none: an edit removes the buttons)."""
    if not rows:
        return None
    keyboard = [[_key(label, data) for label, data in row] for row in rows]
    return {"inline_keyboard": keyboard}


def _key(label: str, data: str) -> dict:
    if data.startswith(WEB_APP):  # "Answer as a form": opens the Mini App
        return {"text": label, "web_app": {"url": data.removeprefix(WEB_APP)}}
    return {"text": label, "callback_data": data}

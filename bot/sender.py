"""The one sending path: outbox rows to the Bot API, paced, retried, in order, never dropped.

The sender reads the outbox when a turn of the bot has committed (`wake`) and every second (the
clock's reminders, rows a crash left behind). Rows are queued per chat as they come (a turn's
rows in order, a chat's turns one after the other); each chat's queue is drained by its own task,
one message at a time, so a chat's messages arrive in the order they were written, while other
chats go on. A row is deleted once Telegram accepted it, and stays "in flight" until then
(`bot.in_flight`). A crash between Telegram's answer and that delete's commit is the only way a
message can be sent twice; nothing is ever dropped except what Telegram refuses for good (see
`_send_one`). A row becomes Bot API calls around the chat's question card in `bot.cards`.

- 429 Too Many Requests: wait `retry_after`, then send the same message again.
- 403 Forbidden (the person blocked the bot or deleted their account): the chat's queued messages
  are dropped and its contact marked unreachable, which stops reminders.
- 400 Bad Request: "message is not modified" means an edit was made already (sent again after
  a crash: edits are idempotent); a question card that can no longer be edited (the person
  cleared the chat) is sent as a new card; anything else is dropped and logged.
- Network errors and 5xx: retried with exponential backoff, up to a minute between tries.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque
from dataclasses import replace

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.cards import ChatCards
from bot.database import BotDatabase, DatabaseUnavailable
from bot.in_flight import InFlight
from bot.outbox import EDIT, SEND, Row
from bot.pacing import Pacer
from survey.reminders import REMINDER_KIND

log = logging.getLogger(__name__)

RESCAN_EVERY_S = 1.0
MAX_BACKOFF_S = 60.0
SHUTDOWN_GRACE_S = 10.0
REMINDER_CONNECTIONS = 2  # of the HTTP connections, what reminders may hold at once
NOT_MODIFIED = "message is not modified"


class OutboxSender:
    """Drains the outbox: one task per chat that has rows queued (see the module docstring)."""

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
        self.pacer = pacer
        self.cards = ChatCards(bot, pacer)
        self.in_flight = InFlight(database)
        self.queues: dict[str, deque[Row]] = {}
        self.drains: set[asyncio.Task] = set()
        self.woken = asyncio.Event()
        self.too_many: deque[float] = deque()  # when Telegram answered 429 (the last hour)
        self.stopping = False

    async def run(self, stop: asyncio.Event) -> None:
        drained = asyncio.Event()  # set once no chat is sending any more
        acker = asyncio.create_task(self.in_flight.acknowledge(drained))
        try:
            while not stop.is_set():
                self.pacer.forget_idle()
                self.woken.clear()
                for row in await self.in_flight.load():
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

    # -- queueing ------------------------------------------------------------------------------

    def figures(self) -> dict:
        """For the liveness file (`cips health`): 429s in the last hour, messages queued."""
        hour_ago = time.monotonic() - 3600
        while self.too_many and self.too_many[0] < hour_ago:
            self.too_many.popleft()
        return {"429_last_hour": len(self.too_many), "queued": len(self.in_flight.ids)}

    def wake(self) -> None:
        """A turn of the bot committed rows: read the outbox now."""
        self.woken.set()

    def _queue(self, row: Row) -> None:
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
                self.in_flight.done(row)
                if not delivered:  # Forbidden: nothing more can reach this chat
                    while queue:
                        self.in_flight.done(queue.popleft())
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
                # HTTP connections; each call takes its turn once it holds one
                # (`ChatCards._paced`).
                turns = self.reminder_calls if reminder else contextlib.nullcontext()
                async with turns, self.api_calls:
                    await self.cards.send(row, spare=reminder)
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
                    self.cards.forget(row.chat)
                    row = replace(row, payload={**row.payload, "method": SEND})
                    continue
                log.warning("Telegram refused a %s: %s", row.payload.get("method"), exc.message)
                return True
            except (NetworkError, TelegramError) as exc:
                log.warning("sending failed (%s), retrying in %.1f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)


async def _first(*waits) -> None:
    """Wait until the first of these awaitables is done; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()

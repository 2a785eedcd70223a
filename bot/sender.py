"""The one sending path: outbox rows to the Bot API, paced, retried, in order, never dropped.

Rows are loaded in id order and queued per chat; each chat's queue is drained by its own task,
one message at a time, so a chat's messages arrive in the order they were written, while other
chats go on. A row is deleted once Telegram accepted it (deletes are batched: whatever
accumulated while the last batch committed), and stays "in flight" until then so that it is not
loaded twice. A crash between Telegram's answer and that commit is the only way a message can be
sent twice; nothing is ever dropped except what Telegram refuses for good (see `_send_one`).

- 429 Too Many Requests: wait `retry_after`, then send the same message again.
- 403 Forbidden (the person blocked the bot or deleted their account): the chat's queued messages
  are dropped and its contact marked unreachable, which stops reminders.
- 400 Bad Request (for example editing a message that no longer exists): dropped, logged.
- Network errors and 5xx: retried with exponential backoff, up to a minute between tries.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.outbox import EDIT, LAST_QUESTION
from bot.outbox import payload as outbox_payload
from bot.pacing import Pacer
from bot.render import message_of
from bot.request import call
from survey.anonymity import ChatCipher
from survey.engine.replies import reply_from_data
from survey.reminders import REMINDER_KIND
from survey.storage import Database
from survey.storage.models import Contact, Outbox, utcnow

log = logging.getLogger(__name__)

BATCH = 500
_CONTENT = select(Outbox.id, Outbox.chat_secret, Outbox.contact_id, Outbox.kind, Outbox.payload)
RESCAN_EVERY_S = 1.0
MAX_BACKOFF_S = 60.0
SHUTDOWN_GRACE_S = 10.0


@dataclass
class Row:
    id: int
    chat: str
    contact_id: str | None
    kind: str
    payload: dict


class OutboxSender:
    def __init__(
        self,
        db: Database,
        bot: Bot,
        cipher: ChatCipher,
        pacer: Pacer,
        wake: asyncio.Event,
        api_calls: asyncio.Semaphore,
        in_database: Callable[..., Awaitable],
    ):
        self.db = db
        self.in_database = in_database  # runs blocking database work (BotService.in_database)
        self.api_calls = api_calls
        self.bot = bot
        self.cipher = cipher
        self.pacer = pacer
        self.wake = wake
        self.queues: dict[str, deque[Row]] = {}
        self.drains: set[asyncio.Task] = set()
        self.in_flight: set[int] = set()
        # Loading and deleting take turns: a load that read a row before its delete committed,
        # finishing after the row left `in_flight`, would queue it again and send it twice (seen
        # on PostgreSQL, where database work runs on several threads).
        self.outbox_turn = asyncio.Lock()
        self.sent_ids: list[int] = []
        self.acked = asyncio.Event()
        self.last_question: dict[str, int] = {}  # chat -> message id of the last question sent
        self.stopping = False

    async def run(self, stop: asyncio.Event) -> None:
        drained = asyncio.Event()  # set once no chat is sending any more
        acker = asyncio.create_task(self._acknowledge(drained))
        last_rescan = 0.0
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                self.wake.clear()
                if loop.time() - last_rescan >= RESCAN_EVERY_S:
                    last_rescan = loop.time()
                    self.pacer.forget_idle()
                async with self.outbox_turn:
                    rows = await self.in_database(self._load)
                    for row in rows:
                        self._queue(row)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(RESCAN_EVERY_S):
                        await _first(self.wake.wait(), stop.wait())
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

    def _load(self) -> list[Row]:
        """Due rows not already queued, in id order.

        Every load reads from the oldest due row rather than from the highest id seen: on
        PostgreSQL two turns writing at once can take interleaved ids (one chat's edit gets 149
        and its next question 152, another chat's rows 150 and 151, committed first), so a row
        can become visible after a higher id was loaded, and skipping it would send that chat's
        messages out of order.
        """
        due = (
            select(Outbox.id)
            .where(Outbox.not_before <= utcnow())
            .order_by(Outbox.id)
            .limit(BATCH + len(self.in_flight))
        )
        with self.db.sessions() as session:
            # The ids first (most are queued already), then the content of the new ones only.
            new = [id_ for id_ in session.scalars(due) if id_ not in self.in_flight]
            if not new:
                return []
            found = session.execute(_CONTENT.where(Outbox.id.in_(new)).order_by(Outbox.id)).all()
        rows = []
        for id_, secret, contact_id, kind, payload in found:
            try:
                chat = self.cipher.decrypt(secret)
            except ValueError:
                log.error("outbox message %s cannot be decrypted with this key: dropped", id_)
                self.sent_ids.append(id_)
                continue
            rows.append(Row(id_, chat, contact_id, kind, payload))
        return rows

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
                delivered = await self._send_one(row)
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
        if row.kind == REMINDER_KIND and not await self.in_database(self._still_in_progress, row):
            return True  # finished, stopped or closed since the reminder was written
        while True:
            await self.pacer.wait_turn(row.chat)
            try:
                async with self.api_calls:
                    await self._call(row)
                return True
            except RetryAfter as exc:
                delay = exc.retry_after
                if isinstance(delay, dt.timedelta):
                    delay = delay.total_seconds()
                log.info("Telegram asked to slow down for %s s", delay)
                await asyncio.sleep(float(delay))
            except Forbidden:
                log.info("a chat blocked the bot: its messages are dropped, reminders stopped")
                await self.in_database(self._unreachable, row.contact_id)
                return False
            except BadRequest as exc:
                log.warning("Telegram refused a %s: %s", row.payload.get("method"), exc.message)
                return True
            except (NetworkError, TelegramError) as exc:
                log.warning("sending failed (%s), retrying in %.1f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _call(self, row: Row) -> None:
        payload = row.payload
        if "reply" in payload:  # written by another process (the clock's reminders)
            payload = outbox_payload(message_of(reply_from_data(payload["reply"])))
        markup = _markup(payload.get("keyboard") or [])
        chat = int(row.chat)  # chat ids are numbers (a JSON body keeps the type)
        if payload["method"] == EDIT:
            message_id = payload.get("message_id")
            if message_id == LAST_QUESTION:
                message_id = self.last_question.get(row.chat)
            if message_id is None:
                return  # nothing to edit (e.g. after a restart): the next question follows
            await call(self.bot, "editMessageText", chat_id=chat, message_id=message_id,
                       text=payload["text"], reply_markup=markup)  # fmt: skip
        else:
            message = await call(self.bot, "sendMessage", chat_id=chat, text=payload["text"],
                                 reply_markup=markup)  # fmt: skip
            message_id = message["message_id"]
        if payload.get("track"):
            self.last_question[row.chat] = message_id

    def _still_in_progress(self, row: Row) -> bool:
        with self.db.sessions() as session:
            return session.get(Contact, row.contact_id) is not None

    def _unreachable(self, contact_id: str | None) -> None:
        if contact_id is None:
            return
        with self.db.transaction() as session:
            session.execute(
                update(Contact)
                .where(Contact.id == contact_id)
                .values(unreachable=True, next_reminder_at=None)
            )

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
                await self.in_database(self._delete, ids)
                self.in_flight.difference_update(ids)

    def _delete(self, ids: list[int]) -> None:
        with self.db.transaction() as session:
            session.execute(delete(Outbox).where(Outbox.id.in_(ids)))


def _markup(rows: list[list[list[str]]]) -> dict | None:
    """An inline keyboard as the Bot API takes it (none: an edit removes the buttons)."""
    if not rows:
        return None
    keyboard = [[{"text": label, "callback_data": data} for label, data in row] for row in rows]
    return {"inline_keyboard": keyboard}


async def _first(*waits) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()

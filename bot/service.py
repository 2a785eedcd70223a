"""The bot's shared state and its one operation: an event in, the engine, the outbox out.

`BotService` owns the conversation engine, the outbox sender and the per-chat ordering of
updates. Handlers (`bot.handlers`) build events and call `handle`; everything that leaves goes
through the outbox and the paced sender (`bot.sender`), replies and reminders alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from bot.outbox import Pressed, enqueue, payload, payloads_for
from bot.render import Message, localized
from survey.anonymity import ChatCipher
from survey.engine import ConversationEngine
from survey.engine import events as ev
from survey.i18n import Text
from survey.storage import Database
from survey.storage.models import HandledUpdate, utcnow
from survey.storage.prepared import Prepared

log = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "telegram"
HTTP_CONNECTIONS = 32
# Threads running database work (the engine's turns, the sender's reads and deletes). SQLite has
# one writer at a time and every transaction takes the write lock (BEGIN IMMEDIATE): threads of
# one process only wait for each other there, in SQLite's busy handler, which sleeps 1, 2, 5,
# 10... ms between tries. One thread queues them without sleeping. PostgreSQL runs different
# chats' turns at once.
DATABASE_THREADS = {"sqlite": 1}
DEFAULT_DATABASE_THREADS = 4


class BotService:
    def __init__(self, db: Database, engine: ConversationEngine, workers: int | None = None):
        self.db = db
        self.engine = engine
        self.cipher = ChatCipher(engine.secret_key)
        workers = workers or DATABASE_THREADS.get(db.dialect, DEFAULT_DATABASE_THREADS)
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="database")
        self.chat_order = KeyedLock()
        insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
        self.claim = Prepared(
            insert(HandledUpdate)
            .values(
                channel=CHANNEL,
                update_id=bindparam("update_id"),
                handled_at=bindparam("handled_at"),
            )
            .on_conflict_do_nothing()
            .returning(HandledUpdate.update_id)
        )
        self.sent = asyncio.Event()  # set when the outbox has something new for the sender
        # Calls to the Bot API at once, kept within the HTTP connection pool (HTTP_CONNECTIONS),
        # so that a call waits here, in order, rather than for a connection with a timeout.
        self.api_calls = asyncio.Semaphore(HTTP_CONNECTIONS - 1)

    async def handle(self, event: ev.Event, pressed: Pressed | None = None) -> None:
        """Run the event through the engine; its replies are in the outbox when this returns."""
        chat_id = event.sender.chat_id
        update_id = event.sender.event_id

        def deliver(connection: Connection, replies) -> None:
            enqueue(connection, self.cipher, chat_id, payloads_for(replies, pressed))

        def claim(connection: Connection) -> bool:
            return update_id is None or self._claim_update(connection, update_id)

        # Updates of one chat are handled in order; different chats in parallel.
        async with self.chat_order.hold(chat_id):
            await self.in_database(self.engine.handle, event, deliver, claim)
        self.sent.set()

    async def in_database(self, work: Callable[..., T], *args) -> T:
        """Run blocking database work on the database threads."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, work, *args)

    async def say(self, chat_id: str, language: str, *parts: Text, update_id: int) -> None:
        """A message outside any conversation (a group chat told the bot is private only)."""

        def write() -> None:
            with self.db.engine.begin() as connection:
                if self._claim_update(connection, update_id):
                    text = localized(list(parts), language)
                    enqueue(connection, self.cipher, chat_id, [payload(Message(text))],
                            kind="notice")  # fmt: skip

        await self.in_database(write)
        self.sent.set()

    def _claim_update(self, connection: Connection, update_id: int) -> bool:
        # Built and compiled once, run on the driver's cursor: this is on every update's path.
        return bool(self.claim.rows(connection, {"update_id": update_id, "handled_at": utcnow()}))

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class KeyedLock:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]

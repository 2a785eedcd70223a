"""The bot's shared state and its one operation: an event in, the engine, the outbox out.

`BotService` owns the per-chat ordering of updates and the way to the database (`bot.database`),
where the conversation engine runs. Handlers (`bot.handlers`) build events and call `handle`;
everything that leaves goes through the outbox and the paced sender (`bot.sender`), replies and
reminders alike: once a turn committed, the sender is woken (`written`) to read the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from bot.database import BotDatabase
from bot.outbox import Pressed
from survey.engine import events as ev
from survey.i18n import Text

HTTP_CONNECTIONS = 32


class BotService:
    def __init__(self, database: BotDatabase):
        self.database = database
        self.chat_order = KeyedLock()
        # Called once a turn committed outbox rows (the sender's `wake`); until one is set, the
        # rows wait for the sender's next read of the table.
        self.written: Callable[[], None] = lambda: None
        # Calls to the Bot API at once, kept within the HTTP connection pool (HTTP_CONNECTIONS),
        # so that a call waits here, in order, rather than for a connection with a timeout.
        self.api_calls = asyncio.Semaphore(HTTP_CONNECTIONS - 1)

    async def handle(self, event: ev.Event, pressed: Pressed | None = None) -> None:
        """Run the event through the engine; its replies are with the sender when this returns."""
        # Updates of one chat are handled in order; different chats in parallel.
        async with self.chat_order.hold(event.sender.chat_id):
            await self.database.turn(event, pressed)
        self.written()

    async def say(self, chat_id: str, language: str, *parts: Text, update_id: int) -> None:
        """A message outside any conversation (a group chat told the bot is private only)."""
        await self.database.notice(chat_id, language, list(parts), update_id)
        self.written()

    async def membership(self, chat_id: str, blocked: bool) -> None:
        """A person blocked the bot in their private chat (no reminder is attempted any more),
        or unblocked it (reminders resume within the policy)."""
        async with self.chat_order.hold(chat_id):
            if blocked:
                await self.database.unreachable(chat_id)
            else:
                await self.database.reachable(chat_id)


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

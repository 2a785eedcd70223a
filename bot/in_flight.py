"""The outbox rows being sent: each loaded once, deleted once Telegram accepted it.

A row is deleted once Telegram accepted it (deletes are batched: whatever accumulated while the
last batch committed), and stays "in flight" until then so that it is not loaded twice; loading
and deleting take turns, since a load that read a row before its delete committed would
otherwise queue it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.database import BotDatabase, DatabaseUnavailable
from bot.outbox import Row

log = logging.getLogger(__name__)


class InFlight:
    """The ids of the rows loaded and not yet deleted, and the deletes waiting to be made."""

    def __init__(self, database: BotDatabase):
        self.database = database
        self.ids: set[int] = set()
        # Loading and deleting take turns (see the module docstring).
        self.turn = asyncio.Lock()
        self.sent_ids: list[int] = []
        self.acked = asyncio.Event()

    async def load(self) -> list[Row]:
        """The rows due and not in flight yet, now in flight (rows that cannot be decrypted are
        deleted, not sent); none while the database is unavailable."""
        async with self.turn:
            try:
                rows, undecryptable = await self.database.due(self.ids)
            except DatabaseUnavailable as exc:
                log.warning("reading the outbox failed (%s), trying again", exc)
                rows, undecryptable = [], []
            self.sent_ids.extend(undecryptable)
            loaded = []
            for row in rows:
                if row.id not in self.ids:
                    self.ids.add(row.id)
                    loaded.append(row)
            return loaded

    def done(self, row: Row) -> None:
        """Telegram accepted the row or refused it for good: it is to be deleted."""
        self.sent_ids.append(row.id)
        self.acked.set()

    async def acknowledge(self, drained: asyncio.Event) -> None:
        """Delete sent rows in batches; a row leaves `ids` only once its delete committed.
        Returns once `drained` is set and nothing is left to delete."""
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
            async with self.turn:
                try:
                    await self.database.delete(ids)
                except DatabaseUnavailable as exc:
                    log.warning("deleting sent messages failed (%s), trying again", exc)
                    self.sent_ids[:0] = ids
                    await asyncio.sleep(1.0)
                    continue
                self.ids.difference_update(ids)

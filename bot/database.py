"""The bot's database work: the engine's turns and the outbox's reads and deletes.

Each operation of `DatabaseWork` is one transaction. `BotDatabase` runs them in a small thread
pool, so that the event loop (the network: Telegram's updates and the sender's calls) never
waits for the database: one thread on SQLite (one writer at a time in any case), a few on
PostgreSQL (different chats' turns at once). Exactly once holds as in any crash: a turn either
committed (with its outbox rows and its handled-update record) or rolled back, and Telegram
delivers an unconfirmed update again.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot.outbox import Pressed, Row, enqueue, payload, payloads_for
from bot.render import Message, localized
from survey import reminders
from survey.anonymity import user_hashes
from survey.bot_identity import store_bot_username
from survey.engine import ConversationEngine
from survey.engine import events as ev
from survey.i18n import Text
from survey.storage.models import Contact, HandledUpdate, Outbox, utcnow

log = logging.getLogger(__name__)

CHANNEL = "telegram"
THREADS = {"sqlite": 1}
DEFAULT_THREADS = 4
OUTBOX_BATCH = 500  # rows read at most at once
_CONTENT = select(Outbox.id, Outbox.chat_secret, Outbox.contact_id, Outbox.kind, Outbox.payload)


class DatabaseUnavailable(RuntimeError):
    """A database operation failed (the database is down, or refused): try again later. The
    message names the error's type only (SQL errors never quote parameters)."""


class DatabaseWork:
    """The bot's database operations, each one transaction."""

    def __init__(self, engine: ConversationEngine, form: str | None = None):
        self.db = engine.db
        self.form = form  # the Mini App's address (bot.render.form_url), or None: no form offered
        self.engine = engine
        self.cipher = engine.cipher  # encrypts with the current key, reads with any kept one
        insert_or_ignore = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        self.claim = (
            insert_or_ignore(HandledUpdate)
            .on_conflict_do_nothing()
            .returning(HandledUpdate.update_id)
        )

    def turn(self, event: ev.Event, pressed: Pressed | None) -> None:
        """Run the event through the engine; its replies are in the outbox once this returns."""
        chat_id = event.sender.chat_id
        update_id = event.sender.event_id

        def deliver(connection: Connection, replies) -> None:
            enqueue(connection, self.cipher, chat_id, payloads_for(replies, pressed, self.form))

        def claim(connection: Connection) -> bool:
            return update_id is None or self._claim_update(connection, update_id)

        self.engine.handle(event, deliver, claim)

    def notice(self, chat_id: str, language: str, parts: list[Text], update_id: int) -> None:
        """A message outside any conversation (a group chat told the bot is private only)."""
        with self.db.engine.begin() as connection:
            if self._claim_update(connection, update_id):
                text = localized(parts, language)
                enqueue(connection, self.cipher, chat_id, [payload(Message(text))], kind="notice")

    def due(self, queued: set[int]) -> tuple[list[Row], list[int]]:
        """Due outbox rows not in `queued`, in id order, and the ids of rows that cannot be
        decrypted with any kept key (to delete: their key was dropped from
        CIPS_OLD_SECRET_KEYS too early, and the error log says so).

        Every read starts from the oldest due row rather than from the highest id seen: on
        PostgreSQL two turns writing at once can take interleaved ids (one chat's edit gets 149
        and its next question 152, another chat's rows 150 and 151, committed first), so a row
        can become visible after a higher id was read, and skipping it would send that chat's
        messages out of order.
        """
        ids = (
            select(Outbox.id)
            .where(Outbox.not_before <= utcnow())
            .order_by(Outbox.id)
            .limit(OUTBOX_BATCH + len(queued))
        )
        with self.db.sessions() as session:
            # The ids first (most are queued already), then the content of the new ones only.
            new = [id_ for id_ in session.scalars(ids) if id_ not in queued]
            if not new:
                return [], []
            found = session.execute(_CONTENT.where(Outbox.id.in_(new)).order_by(Outbox.id)).all()
        rows, undecryptable = [], []
        for id_, secret, contact_id, kind, content in found:
            try:
                chat = self.cipher.decrypt(secret)
            except ValueError:
                log.error(
                    "outbox message %s cannot be decrypted with CIPS_SECRET_KEY or any key of "
                    "CIPS_OLD_SECRET_KEYS (an old key dropped too early?): dropped",
                    id_,
                )
                undecryptable.append(id_)
                continue
            rows.append(Row(id_, chat, contact_id, kind, content))
        return rows, undecryptable

    def delete(self, ids: list[int]) -> None:
        with self.db.transaction() as session:
            session.execute(delete(Outbox).where(Outbox.id.in_(ids)))

    def in_progress(self, contact_id: str | None) -> bool:
        """Whether the contact still has a conversation going (a reminder is still due)."""
        with self.db.sessions() as session:
            return contact_id is not None and session.get(Contact, contact_id) is not None

    def unreachable(self, chat: str) -> None:
        """Telegram said the person blocked the bot (a 403, or `my_chat_member` "kicked"): no
        reminder is attempted any more. A private chat's id is the user's id, which finds the
        contact through its keyed hash (a reply's outbox row carries no contact id)."""
        with self.db.transaction() as session:
            session.execute(
                update(Contact)
                .where(Contact.user_hash.in_(self._hashes(chat)))
                .values(unreachable=True, next_reminder_at=None)
            )

    def reachable(self, chat: str) -> None:
        """The person unblocked the bot (`my_chat_member` "member"): reminders resume within
        the campaign's policy."""
        with self.db.transaction() as session:
            contacts = session.scalars(
                select(Contact).where(
                    Contact.user_hash.in_(self._hashes(chat)),
                    Contact.unreachable.is_(True),
                )
            ).all()
            for contact in contacts:
                contact.unreachable = False
                reminders.schedule(contact.campaign, contact)

    def remember_bot_username(self, username: str) -> None:
        """Store the username Telegram's getMe gave: the links of the web and CLI use it."""
        with self.db.transaction() as session:
            store_bot_username(session, username)

    def _hashes(self, chat: str) -> list[str]:
        """The chat's contact hash under every kept key (CIPS_OLD_SECRET_KEYS after a rotation)."""
        return user_hashes(self.engine.secret_keys, CHANNEL, chat)

    def _claim_update(self, connection: Connection, update_id: int) -> bool:
        """Record the update as handled; False if it already was (a redelivery)."""
        values = {"channel": CHANNEL, "update_id": update_id, "handled_at": utcnow()}
        return connection.execute(self.claim, values).first() is not None


class BotDatabase:
    """`DatabaseWork` for the event loop: each operation awaited, run in the thread pool."""

    def __init__(self, engine: ConversationEngine, form: str | None = None):
        self.work = DatabaseWork(engine, form)
        threads = THREADS.get(engine.db.dialect, DEFAULT_THREADS)
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="cips-db")

    async def _run(self, operation, *args: Any) -> Any:
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, operation, *args)
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(type(exc).__name__) from exc

    async def turn(self, event: ev.Event, pressed: Pressed | None) -> None:
        await self._run(self.work.turn, event, pressed)

    async def notice(self, chat_id: str, language: str, parts: list[Text], update_id: int) -> None:
        await self._run(self.work.notice, chat_id, language, parts, update_id)

    async def due(self, queued: set[int]) -> tuple[list[Row], list[int]]:
        return await self._run(self.work.due, set(queued))

    async def delete(self, ids: list[int]) -> None:
        await self._run(self.work.delete, ids)

    async def in_progress(self, contact_id: str | None) -> bool:
        return await self._run(self.work.in_progress, contact_id)

    async def unreachable(self, chat: str) -> None:
        await self._run(self.work.unreachable, chat)

    async def reachable(self, chat: str) -> None:
        await self._run(self.work.reachable, chat)

    async def remember_bot_username(self, username: str) -> None:
        await self._run(self.work.remember_bot_username, username)

    def close(self) -> None:
        self.pool.shutdown(wait=True)

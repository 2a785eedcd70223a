"""The bot's database work, in worker processes: the engine's turns, the outbox's reads and deletes.

Python runs one thread at a time in a process, and on the bench the bot's database work (a turn
of the engine for every update, the sender's reads and deletes) took about 40% of the one core
the bot could use, the Bot API calls and python-telegram-bot the rest. So the work runs in
worker processes of its own (`python -m bot.database`), and the bot process keeps the network:
one worker on SQLite (one writer at a time in any case), two on PostgreSQL (different chats'
turns at once).

`DatabaseWork` is what a worker does; `DatabaseWorkers` is the bot's side: `await
workers.run("turn", event, pressed)`. Calls and results are pickled plain data (events, rows,
ids) over the worker's standard input and output, which asyncio reads without a thread; a worker
handles its calls one after the other, in order. A worker builds its own engine from the
`Setup` sent first (the secret key travels in the pipe, never on a command line).

Crashes: a worker exits when its standard input closes, so when the bot process is gone, even
SIGKILLed. What it was doing then either committed or rolled back, as in any crash, and the
restarted bot goes on from the database (the update is delivered again; the handled-updates
record and the outbox make the repeat change nothing). If a worker dies under a running bot,
its pending calls fail (the updates are fetched again) and a new worker takes its place.
"""

from __future__ import annotations

import asyncio
import logging
import logging.config
import os
import pickle
import signal
import sys
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from bot.outbox import Pressed, Row, enqueue, payload, payloads_for
from bot.render import Message, localized
from survey import reminders
from survey.anonymity import ChatCipher, user_hash
from survey.engine import ConversationEngine
from survey.engine import events as ev
from survey.i18n import Text
from survey.questionnaire import Questionnaire
from survey.storage import Database
from survey.storage.models import Contact, HandledUpdate, Outbox, utcnow
from survey.storage.prepared import Prepared

log = logging.getLogger("bot.database")  # by name: a worker runs this module as __main__

CHANNEL = "telegram"
WORKERS = {"sqlite": 1}
DEFAULT_WORKERS = 2
OUTBOX_BATCH = 500  # rows read at most at once
_CONTENT = select(Outbox.id, Outbox.chat_secret, Outbox.contact_id, Outbox.kind, Outbox.payload)
RESPAWN_PAUSE_S = 5.0
_LENGTH = 4  # bytes of a message's length, before its pickle


@dataclass(frozen=True)
class Setup:
    """What a worker needs to build its engine; the first message it reads."""

    database_url: str
    secret_key: str
    min_cell: int
    questionnaires: dict[str, Questionnaire]
    # The bot's own logging, as a logging.config.dictConfig dictionary, given by the command line
    # that started the bot (None: Python's default, warnings and errors on stderr).
    logging: dict | None = None


class DatabaseWork:
    """The bot's database operations, each one transaction; run by a worker process."""

    def __init__(self, db: Database, engine: ConversationEngine):
        self.db = db
        self.engine = engine
        self.cipher = ChatCipher(engine.secret_key)
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

    @classmethod
    def from_setup(cls, setup: Setup) -> DatabaseWork:
        db = Database(setup.database_url)
        engine = ConversationEngine(db, setup.questionnaires, setup.secret_key,
                                    min_cell=setup.min_cell)  # fmt: skip
        return cls(db, engine)

    def turn(self, event: ev.Event, pressed: Pressed | None) -> list[Row]:
        """Run the event through the engine; the outbox rows it wrote (committed)."""
        chat_id = event.sender.chat_id
        update_id = event.sender.event_id
        written: list[Row] = []

        def deliver(connection: Connection, replies) -> None:
            # Called again if the engine retries the turn: only the committed attempt's rows stay.
            written[:] = enqueue(connection, self.cipher, chat_id, payloads_for(replies, pressed))

        def claim(connection: Connection) -> bool:
            written.clear()  # a new attempt: what an attempt rolled back is not sent
            return update_id is None or self._claim_update(connection, update_id)

        self.engine.handle(event, deliver, claim)
        return written

    def notice(self, chat_id: str, language: str, parts: list[Text], update_id: int) -> list[Row]:
        """A message outside any conversation (a group chat told the bot is private only)."""
        with self.db.engine.begin() as connection:
            if not self._claim_update(connection, update_id):
                return []
            text = localized(parts, language)
            return enqueue(connection, self.cipher, chat_id, [payload(Message(text))],
                           kind="notice")  # fmt: skip

    def due(self, queued: set[int]) -> tuple[list[Row], list[int]]:
        """Due outbox rows not in `queued`, in id order, and the ids of rows that cannot be
        decrypted with this key (to delete).

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
                log.error("outbox message %s cannot be decrypted with this key: dropped", id_)
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
                .where(Contact.user_hash == user_hash(self.engine.secret_key, CHANNEL, chat))
                .values(unreachable=True, next_reminder_at=None)
            )

    def reachable(self, chat: str) -> None:
        """The person unblocked the bot (`my_chat_member` "member"): reminders resume within
        the campaign's policy."""
        with self.db.transaction() as session:
            contacts = session.scalars(
                select(Contact).where(
                    Contact.user_hash == user_hash(self.engine.secret_key, CHANNEL, chat),
                    Contact.unreachable.is_(True),
                )
            ).all()
            for contact in contacts:
                contact.unreachable = False
                reminders.schedule(contact.campaign, contact)

    def _claim_update(self, connection: Connection, update_id: int) -> bool:
        # Built and compiled once, run on the driver's cursor: this is on every update's path.
        return bool(self.claim.rows(connection, {"update_id": update_id, "handled_at": utcnow()}))


class DatabaseWorkError(RuntimeError):
    """A call failed in a worker: its exception's type and message (SQL errors never quote
    parameters; the worker logs the traceback)."""


class DatabaseWorkers:
    """The bot's side: worker processes started by `start`, called with `run`."""

    def __init__(self, setup: Setup, processes: int):
        self.setup = setup
        self.processes = processes
        self.workers: list[_Worker] = []
        self.closing = False

    @classmethod
    def for_database(cls, setup: Setup, dialect: str) -> DatabaseWorkers:
        return cls(setup, WORKERS.get(dialect, DEFAULT_WORKERS))

    async def start(self) -> None:
        for _ in range(self.processes):  # kept as they start, so that `close` stops them all
            self.workers.append(await self._spawn())

    async def run(self, operation: str, *args: Any) -> Any:
        """`DatabaseWork.<operation>(*args)` in the least busy worker (DatabaseWorkError while
        a dead worker is being replaced)."""
        worker = min(self.workers, key=lambda w: (not w.alive, len(w.pending)))
        return await worker.call(operation, args)

    async def close(self) -> None:
        self.closing = True
        await asyncio.gather(*(w.stop() for w in self.workers))

    async def _spawn(self) -> _Worker:
        # -P: the current folder is not searched for modules (a stray bot.py there is not run).
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-P", "-m", "bot.database",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=2**24,
        )  # fmt: skip
        worker = _Worker(process)
        try:
            await worker.call("__setup__", (self.setup,))
        except DatabaseWorkError:
            await worker.stop()
            raise
        worker.on_death = self._replace  # replaced if it dies from now on
        return worker

    async def _replace(self, dead: _Worker) -> None:
        log.error("a database worker stopped (exit code %s): starting another", dead.returncode)
        while not self.closing:
            try:
                fresh = await self._spawn()
            except (OSError, DatabaseWorkError) as exc:
                log.error("starting a database worker failed (%s): trying again in %s s",
                          exc, RESPAWN_PAUSE_S)  # fmt: skip
                await asyncio.sleep(RESPAWN_PAUSE_S)
                continue
            if self.closing:  # the bot stopped meanwhile
                await fresh.stop()
                return
            self.workers = [fresh if w is dead else w for w in self.workers]
            return


class _Worker:
    """One worker process: calls written in order, answers matched in the same order."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.pending: deque[asyncio.Future] = deque()
        self.on_death: Callable[[_Worker], Awaitable[None]] | None = None
        self.stopping = False
        self.alive = True
        self.reading = asyncio.create_task(self._read())

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    async def call(self, operation: str, args: tuple) -> Any:
        if not self.alive:
            raise DatabaseWorkError("the database worker has stopped")
        message = _frame((operation, args))  # before queueing: a pickling error changes nothing
        future = asyncio.get_running_loop().create_future()
        self.pending.append(future)
        self.process.stdin.write(message)
        return await future

    async def stop(self) -> None:
        self.stopping = True
        self.process.stdin.close()
        await self.process.wait()
        await self.reading

    async def _read(self) -> None:
        stdout = self.process.stdout
        try:
            while True:
                length = int.from_bytes(await stdout.readexactly(_LENGTH), "big")
                ok, value = pickle.loads(await stdout.readexactly(length))
                future = self.pending.popleft()
                if future.cancelled():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(DatabaseWorkError(value))
        except asyncio.IncompleteReadError:  # the worker exited
            pass
        except Exception:  # answers out of step: the worker cannot be trusted any more
            log.exception("a database worker's answer could not be read: stopping it")
            self.process.kill()
        self.alive = False
        while self.pending:
            future = self.pending.popleft()
            if not future.done():
                future.set_exception(DatabaseWorkError("the database worker has stopped"))
        await self.process.wait()
        if not self.stopping and self.on_death is not None:
            await self.on_death(self)


def _frame(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(_LENGTH, "big") + data


def _receive(stream: BinaryIO) -> object | None:
    header = stream.read(_LENGTH)
    if len(header) < _LENGTH:
        return None  # the bot closed the pipe, or is gone
    return pickle.loads(stream.read(int.from_bytes(header, "big")))


def main() -> None:
    """A worker: read calls from standard input, answer on standard output, until it closes."""
    # Stopping is the bot's call: it closes the pipe. A Ctrl-C or a platform's SIGTERM reaches
    # the whole process group, and the bot still needs the worker while it shuts down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    calls = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt answers
    work: DatabaseWork | None = None
    while (message := _receive(calls)) is not None:
        operation, args = message
        try:
            if operation == "__setup__":
                (setup,) = args
                if setup.logging is not None:
                    logging.config.dictConfig(setup.logging)
                work = DatabaseWork.from_setup(setup)
                result = (True, None)
            else:
                result = (True, getattr(work, operation)(*args))
        except Exception as exc:
            log.warning("database work %s failed: %s", operation, type(exc).__name__,
                        exc_info=True)  # fmt: skip
            result = (False, f"{type(exc).__name__}: {exc}")
        answers.write(_frame(result))
        answers.flush()
    if work is not None:
        work.db.dispose()


if __name__ == "__main__":
    main()

"""The real bot process (`cips bot`) against the fake Bot API, and respondents who use it.

Also how a test knows the bot is done (`BotProcess.settle`), so that it can assert that
something did not happen without sleeping for a while and hoping.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import select, text

from bot.database import CHANNEL
from survey.anonymity import user_hash
from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.migrate import upgrade
from survey.storage.models import Contact, Outbox
from tests.fake_telegram import TOKEN, ChatMessage, FakeTelegram, FakeUser

LANGUAGES = ["en", "fr", "es", "ar", "pt"]


def prepare_database(url: str, campaigns: dict[str, str], **policy) -> None:
    """Migrate and create one open campaign per code -> questionnaire id."""
    upgrade(url)
    questionnaires = load_questionnaires()
    db = Database(url)
    with db.transaction() as session:
        admin = create_administration(session, "TST", "Test Customs", "UTC", LANGUAGES)
        for code, questionnaire_id in campaigns.items():
            create_campaign(session, admin, questionnaires[questionnaire_id], "2026",
                            code=code, **policy)  # fmt: skip
    db.dispose()


class BotProcess:
    """`cips bot` in a child process, talking to `fake` over HTTP."""

    def __init__(self, fake: FakeTelegram, database_url: str, folder: Path, **env: str):
        self.fake = fake
        self.folder = folder
        self.log = folder / "bot.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": fake.url,
            "CIPS_SECRET_KEY": os.environ.get("CIPS_SECRET_KEY", "TEST_SECRET"),
            **env,
        }
        self.process: subprocess.Popen | None = None
        self.command = [sys.executable, "-m", "cips", "bot"]
        # In a process group of its own, signalled as a whole (as a platform stops a process
        # started through a shell).
        self.own_group = False

    def ready(self) -> bool:
        """The command menu is set: the last thing before polling."""
        return None in self.fake.commands

    def start(self) -> BotProcess:
        return self.launch().wait_ready()

    def launch(self) -> BotProcess:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=self.own_group,
            )
        return self

    def wait_ready(self) -> BotProcess:
        deadline = time.monotonic() + 30
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{self.command} did not start:\n{self.log.read_text()}")
            time.sleep(0.05)
        return self

    def signal(self, number: int) -> None:
        if self.own_group:
            os.killpg(self.process.pid, number)
        else:
            self.process.send_signal(number)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.process.wait(10)
        self.fake.commands.clear()

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                raise
        return self.process.returncode

    def log_text(self) -> str:
        return self.log.read_text()

    # -- what the bot has done -----------------------------------------------------------------

    def settle(self, *update_ids: int, timeout: float = 20.0) -> None:
        """Wait until the bot is done with these updates: from then on, the chats show all it
        will ever send for them, so a test can assert what did not happen.

        Positive signals only, never a pause: first the fake has served a getUpdates with an
        offset past each update, after the one that handed it out (the bot asks for more only
        once every update of the batch went through the engine and the replies were committed
        to the outbox, see bot.updates.poll); then the outbox is empty (a row is deleted only
        once Telegram accepted it or refused it for good, see bot.sender). In webhook mode give
        no ids: the webhook answers only once the update is handled. The outbox is the whole
        database's: other chats must be quiet meanwhile (the clock's reminders included).
        """
        self.fake.wait_until(lambda: all(self.fake.confirmed(u) for u in update_ids), timeout)
        eventually(self.outbox_empty, timeout, "the outbox did not empty")

    def outbox_empty(self) -> bool:
        with self.database() as db, db.sessions() as session:
            return session.scalar(select(Outbox.id).limit(1)) is None

    def contact(self, user_id: int) -> Contact | None:
        """The contact record of this Telegram user (in any campaign), as the bot keeps it."""
        hashed = user_hash(self.env["CIPS_SECRET_KEY"], CHANNEL, user_id)
        with self.database() as db, db.sessions() as session:
            contact = session.scalar(select(Contact).where(Contact.user_hash == hashed))
            if contact is not None:
                session.expunge(contact)
            return contact

    @contextlib.contextmanager
    def database(self) -> Iterator[Database]:
        db = Database(self.env["DATABASE_URL"])
        try:
            yield db
        finally:
            db.dispose()


def eventually(condition: Callable[[], bool], timeout: float = 20.0, failure: str = "") -> None:
    """Wait until `condition()` holds (looked at every 50 ms), for state outside the fake."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {failure or condition}")
        time.sleep(0.05)


class ClockProcess(BotProcess):
    """`cips clock` in a child process (same environment as the bot)."""

    def __init__(self, fake: FakeTelegram, database_url: str, folder: Path, every: float = 0.5):
        super().__init__(fake, database_url, folder)
        self.log = folder / "clock.log"
        self.command = [sys.executable, "-m", "cips", "clock", "--every", str(every)]

    def ready(self) -> bool:
        return "clock running" in self.log.read_text()


def answerable(message: ChatMessage) -> list[dict]:
    """The answer buttons of a question message (not Skip, Done, or a language)."""
    return [b for b in message.buttons if b.get("callback_data", "").split("|")[0] in ("a", "t")]


def question_of(message: ChatMessage) -> str | None:
    """The question a message asks (from its buttons' data), if any."""
    for button in message.buttons:
        if "callback_data" not in button:
            continue  # "Answer as a form" (a Mini App)
        action, question_id, _ = button["callback_data"].split("|")
        if action in ("a", "t", "d", "s") and question_id:
            return question_id
    return None


ENDED = object()


class Participant:
    """A respondent who answers every question as it comes, on the fake Telegram.

    Like a person, they answer the latest question they have not answered yet (a message sent
    twice is answered once), and know the survey has ended when the card they answered on loses
    its buttons without asking anything new, or a message without buttons follows their last
    typed answer. `given` is what they answered, to compare with the database.
    """

    def __init__(self, user: FakeUser, seed: int = 0, timeout: float = 60):
        self.user = user
        self.random = random.Random(seed)
        self.timeout = timeout
        self.given: dict[str, str] = {}
        self.pressed: tuple[ChatMessage, str] | None = None  # the card answered on, its text

    @property
    def answers(self) -> int:
        return len(self.given)

    def _prompt(self, seen: int):
        messages = self.user.messages
        for message in reversed(messages):
            question = question_of(message)
            if question is not None and question not in self.given:
                return message
        if any(not m.keyboard and m.edits == 0 for m in messages[seen:]):
            return ENDED
        if self.pressed is not None:
            card, text = self.pressed
            if card.text != text and not card.keyboard:  # not just collapsed: says it ended
                return ENDED
        return None

    def _wait_prompt(self, seen: int):
        found = []
        self.user.wait_for(lambda ms: bool(found.append(self._prompt(seen)) or found[-1]),
                           self.timeout)  # fmt: skip
        self.pressed = None  # answered: what the card does from now on is the next question's
        return found[-1]

    def join(self, code: str) -> None:
        seen = len(self.user.messages)
        self.user.send(f"/start {code}")
        self.user.wait_for(lambda ms: any(_is_consent(m) for m in ms[seen:]), self.timeout)
        seen = len(self.user.messages)
        self.user.press("c||yes")
        self.current = self._wait_prompt(seen)

    def step(self) -> bool:
        """Answer the current question; False once the survey has ended."""
        if self.current is ENDED:
            return False
        message = self.current
        question = question_of(message)
        seen = len(self.user.messages)
        options = answerable(message)
        self.pressed = (message, message.text) if options else None
        if options:
            choice = self.random.choice(options)["callback_data"]
            value = choice.split("|")[2]
            if choice.startswith("t|"):  # multiple choice: tick one, then Done
                edits = message.edits
                self.user.press(choice, message)
                self.user.wait_for(lambda ms: message.edits > edits, self.timeout)
                done = next(b["callback_data"] for b in message.buttons
                            if b.get("callback_data", "").startswith("d|"))  # fmt: skip
                self.pressed = (message, message.text)
                self.user.press(done, message)
            else:
                self.user.press(choice, message)
        else:  # free text
            value = f"comment {self.random.randint(1, 999)}"
            self.user.send(value)
        self.given[question] = value
        self.current = self._wait_prompt(seen)
        return self.current is not ENDED

    def finish(self, limit: int = 200) -> None:
        for _ in range(limit):
            if not self.step():
                return
        raise AssertionError("the survey did not end")


def _is_consent(message: ChatMessage) -> bool:
    return any(b.get("callback_data") == "c||yes" for b in message.buttons)


def assert_no_identifiers(
    url: str, log: str, user_ids: list[int] = (), pattern: str | None = None
) -> None:
    """Anonymity: no Telegram id (of `user_ids`, or matching `pattern`) anywhere in the
    database or the log after a run."""
    db = Database(url)
    with db.sessions() as session:
        tables = [
            row[0]
            for row in session.execute(
                text("SELECT name FROM sqlite_master WHERE type='table'")
                if db.dialect == "sqlite"
                else text("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            )
        ]
        dump = "\n".join(
            str(row) for table in tables for row in session.execute(text(f"SELECT * FROM {table}"))
        )
    db.dispose()
    for user_id in user_ids:
        assert str(user_id) not in dump
        assert str(user_id) not in log
    if pattern is not None:
        assert not re.search(pattern, dump), re.search(pattern, dump)
        assert not re.search(pattern, log), re.search(pattern, log)

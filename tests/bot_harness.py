"""The real bot process (`cips bot`) against the fake Bot API, and respondents who use it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.storage import Database
from survey.storage.migrate import upgrade
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

    def start(self) -> BotProcess:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cips", "bot"],
                env=self.env,
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        # Ready once the command menu is set (the last thing before polling).
        deadline = time.monotonic() + 30
        while None not in self.fake.commands:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the bot did not start:\n{self.log.read_text()}")
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.fake.commands.clear()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise
        return self.process.returncode

    def log_text(self) -> str:
        return self.log.read_text()


def answerable(message: ChatMessage) -> list[dict]:
    """The answer buttons of a question message (not Skip, Done, or a language)."""
    return [b for b in message.buttons if b["callback_data"].split("|")[0] in ("a", "t")]


class Participant:
    """A respondent who answers every question as it comes, on the fake Telegram.

    Every answer brings exactly one new message (the next question, or the thanks): that is
    what `step` waits for. The answered question is edited in place.
    """

    def __init__(self, user: FakeUser, seed: int = 0, timeout: float = 60):
        self.user = user
        self.random = random.Random(seed)
        self.timeout = timeout
        self.answers = 0

    def _act_and_wait(self, act) -> None:
        count = len(self.user.messages)
        act()
        self.user.wait_for(lambda ms: len(ms) > count, self.timeout)

    def join(self, code: str) -> None:
        self._act_and_wait(lambda: self.user.send(f"/start {code}"))
        self._act_and_wait(lambda: self.user.press("c||yes"))

    def step(self) -> bool:
        """Answer the question shown last; False once the survey has ended."""
        last = self.user.messages[-1]
        options = answerable(last)
        if options:
            choice = self.random.choice(options)["callback_data"]
            if choice.startswith("t|"):  # multiple choice: tick one, then Done
                self.user.press(choice, last)
                self.user.wait_for(lambda ms: ms[-1].edits > last.edits, self.timeout)
                done = next(
                    b["callback_data"] for b in last.buttons if b["callback_data"][0] == "d"
                )
                self._act_and_wait(lambda: self.user.press(done, self.user.messages[-1]))
            else:
                self._act_and_wait(lambda: self.user.press(choice, last))
        elif any(b["callback_data"].startswith("s|") for b in last.buttons):  # free text
            self._act_and_wait(lambda: self.user.send(f"comment {self.random.randint(1, 999)}"))
        else:
            return False
        self.answers += 1
        return True

    def finish(self, limit: int = 200) -> None:
        for _ in range(limit):
            if not self.step():
                return
        raise AssertionError("the survey did not end")

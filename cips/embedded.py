"""The whole product in one process: web, bot and clock on one database (`cips run`, `cips demo`).

The web app is served by werkzeug's threaded server in a thread, the clock's jobs run in
APScheduler's background thread, and the bot runs on asyncio in the calling thread. Without a bot
token the local Telegram (`web.chat`) stands in for Telegram: the web app serves its Bot API and
the chat page, and the bot (unchanged) is pointed at it. It enforces no send pace, so the bot's
pacing is lifted there (real Telegram's limits still apply with a real token).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import fcntl
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import func, make_url, select
from werkzeug.serving import BaseWSGIServer, make_server

from bot.run import serve
from survey.config import Settings
from survey.demo import demo_campaigns
from survey.questionnaire import Questionnaire
from survey.storage.db import Database
from survey.storage.models import Campaign, Role, User
from web import chat, create_app
from web.chat.telegram import LocalTelegram
from web.clock import Clock, start_background
from web.users import create_user

ADMIN_USERNAME = "admin"
CLOCK_EVERY_S = 30.0


@dataclass(frozen=True)
class FirstRun:
    """What a first run created: the admin's password (shown once) and the demo campaigns."""

    admin_password: str | None = None
    campaigns: list[str] = field(default_factory=list)


def prepare_first_run(db: Database, questionnaires: dict[str, Questionnaire]) -> FirstRun:
    """An admin account if there is no account, demo campaigns if there is no campaign."""
    password, codes = None, []
    with db.transaction() as session:
        if not session.scalar(select(func.count()).select_from(User)):
            password = secrets.token_urlsafe(12)
            create_user(session, ADMIN_USERNAME, password, Role.ADMIN.value, None)
        if not session.scalar(select(func.count()).select_from(Campaign)):
            wave = str(dt.datetime.now(dt.UTC).year)
            codes = [c.code for c in demo_campaigns(session, questionnaires, wave)]
    return FirstRun(password, codes)


class Embedded:
    """Web server, clock and bot of one process; `start()`, then `run_bot()` until stopped."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        questionnaires: dict[str, Questionnaire],
        *,
        host: str = "127.0.0.1",
        port: int = 5000,
        telegram: LocalTelegram | None = None,
        clock: bool = True,
    ):
        # The web server's access log would show the local Bot API token in every URL, and the
        # scheduler logs every run of every job: neither belongs in a terminal a newcomer reads.
        for name in ("werkzeug", "apscheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self.settings = settings
        self.db = db
        self.questionnaires = questionnaires
        self.telegram = telegram
        self.server: BaseWSGIServer = make_server(host, port, web_app(telegram), threaded=True)
        self.scheduler = (
            start_background(Clock(db, questionnaires, min_cell=settings.min_cell), CLOCK_EVERY_S)
            if clock
            else None
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="cips-web")  # fmt: skip

    @property
    def url(self) -> str:
        host = self.server.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.server.server_port}"

    def bot_settings(self) -> Settings:
        if self.telegram is None:
            return self.settings
        return dataclasses.replace(
            self.settings,
            telegram_token=self.telegram.token,
            telegram_api_url=f"{self.url}/local-telegram",
            send_rate=0,
            chat_rate=0,
        )

    def start(self) -> Embedded:
        self.thread.start()
        return self

    async def run_bot(self, stop: asyncio.Event | None = None) -> None:
        """The bot, until `stop` is set or SIGTERM / Ctrl-C; then everything stops."""
        try:
            await serve(self.bot_settings(), self.db, self.questionnaires, stop=stop,
                        remember_username=self.telegram is None)  # fmt: skip
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.server.shutdown()
        self.server.server_close()


def web_app(telegram: LocalTelegram | None) -> Flask:
    """The web back end of one process on a laptop, with the chat page if `telegram` is local."""
    # Plain HTTP on a laptop: cookies cannot be `Secure` there.
    os.environ.setdefault("CIPS_WEB_INSECURE_COOKIES", "1")
    # A first look should not begin by demanding an authenticator app: two-factor sign-in is
    # optional here unless CIPS_REQUIRE_2FA says otherwise (the welcome says how to turn it on).
    os.environ.setdefault("CIPS_REQUIRE_2FA", "off")
    app = create_app()
    if telegram is not None:
        chat.init_app(app, telegram)
    return app


def local_telegram() -> LocalTelegram:
    """A local Telegram with a token of its own for this run."""
    return LocalTelegram(f"{secrets.randbelow(10**9)}:{secrets.token_urlsafe(24)}")


class DatabaseBusy(RuntimeError):
    """Another `cips run` or `cips demo` is using this database."""


@contextlib.contextmanager
def sole_bot(database_url: str) -> Iterator[None]:
    """Hold the database's bot lock: one bot only, since every bot sends the whole outbox.

    Only SQLite files get one (a lock file beside the database); in production the Procfile
    runs exactly one bot process.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    with open(f"{url.database}.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise DatabaseBusy(
                f"another cips run or cips demo is using {url.database}: stop it first"
            ) from exc
        yield

"""The anonymity promise against an insider (DESIGN.md, Anonymity), end to end.

Sixty people answer a short survey, starting and finishing at interleaved times: forty through
the real bot process over HTTP (the fake Telegram), twenty in a browser through the web survey
(`cips web`, the development server, over HTTP with their own cookies), while the real clock
process seals finished responses in batches of k = 5; some withdraw, some are still answering
when the campaign is closed with `cips campaign close`. Then the attacker gets what an insider
of the administration would: every table (SQLite rowids, PostgreSQL ctid and xmin), the raw
SQLite file and its write-ahead log, the bot's, the clock's and the web server's logs at DEBUG,
and CIPS_SECRET_KEY, with which the participation mark of any Telegram id can be computed (and of
any browser whose cookie the attacker obtained: the test gives them every browser's). Each attack tries to tie sealed
responses to Telegram ids or to the order in which people finished, and must do no better than
chance within a sealed batch.

Ground truth, which the attacker does not have: every person who completes types a signature
as their free-text answer, and the test records the order in which people finished.
"""

from __future__ import annotations

import html
import random
import re
import socket
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from cips.cli import context
from survey.anonymity import participation_mark
from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaire
from survey.storage.db import Database
from survey.storage.migrate import upgrade
from survey.storage.models import Respondent, SealedAnswer, SealedResponse
from tests.bot_harness import (
    ENDED,
    BotProcess,
    ClockProcess,
    Participant,
    answerable,
    eventually,
    question_of,
)
from tests.cli_support import run_cips
from tests.fake_telegram import FakeTelegram, Pace

K = 5
PEOPLE = 60
WEB_PEOPLE = 20  # of the sixty: answer in a browser
WITHDRAW, LEAVE = 8, 8  # of the sixty: stop with /stop, and are still answering at the close
CODE = "atk"
FAST = {"CIPS_CHAT_RATE": "100", "CIPS_CHAT_BURST": "10", "CIPS_SEND_RATE": "0"}
ATTACK_SURVEY = """
id = "attack"
version = "1"
survey = "other"
title = "A short survey"
source_language = "en"

[[demographics]]
id = "role"
type = "single_choice"
text = "Your role?"
choices = [{ code = "broker", label = "Broker" }, { code = "carrier", label = "Carrier" }]

[[items]]
id = "a1"
type = "agreement"
factor = 1
text = "Rules are published"

[[items]]
id = "a2"
type = "agreement"
factor = 2
text = "Staff are fair"

[[items]]
id = "a3"
type = "agreement"
factor = 3
text = "Complaints are heard"

[[items]]
id = "note"
type = "text"
text = "Anything else?"
max_length = 40
required = false
"""


class Signed(Participant):
    """A respondent whose free-text answer is their signature (the test's ground truth)."""

    def __init__(self, *args, signature: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.signature = signature

    def step(self) -> bool:
        if self.current is ENDED or answerable(self.current):
            return super().step()
        seen = len(self.user.messages)
        self.user.send(self.signature)
        self.given[question_of(self.current)] = self.signature
        self.current = self._wait_prompt(seen)
        return self.current is not ENDED


class WebProcess(BotProcess):
    """`cips web` (the development server) in a child process, same environment as the bot."""

    def __init__(self, fake: FakeTelegram, database_url: str, folder: Path):
        super().__init__(fake, database_url, folder)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = folder / "web.log"
        self.command = [sys.executable, "-m", "cips", "web", "--port", str(self.port)]

    def ready(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True


class Browser:
    """A respondent in a browser on /s/<code>: cookies kept, redirects followed, forms posted
    with their CSRF token, the free text their signature."""

    CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
    QUESTION = re.compile(r'name="q" value="([^"]+)"')
    OPTION = re.compile(r'name="value" id="option-\d+" value="([^"]+)"')
    BUTTON = re.compile(r'name="b" value="([^"]+)"[^>]*>([^<]+)<')

    def __init__(self, port: int, signature: str, seed: int):
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True,
                                   timeout=60)  # fmt: skip
        self.signature = signature
        self.rng = random.Random(seed)
        self.page = self.client.get(f"/s/{CODE}").text

    def post(self, path: str, form: dict) -> None:
        token = html.unescape(self.CSRF.search(self.page).group(1))
        response = self.client.post(path, data={**form, "csrf_token": token})
        assert response.status_code == 200, response.text
        self.page = response.text

    def join(self) -> None:
        self.post(f"/s/{CODE}/start", {"language": "en"})
        self.post(f"/s/{CODE}", {"b": "c||yes"})

    def step(self) -> bool:
        """Answer the question shown; False once the survey has ended."""
        question = self.QUESTION.search(self.page)
        if question is None:
            return False
        qid = question.group(1)
        options = self.OPTION.findall(self.page)
        if options:
            self.post(f"/s/{CODE}", {"q": qid, "value": self.rng.choice(options)})
        else:
            self.post(f"/s/{CODE}", {"q": qid, "text": self.signature})
        return self.QUESTION.search(self.page) is not None

    def finish(self) -> None:
        while self.step():
            pass
        assert "Thank you" in self.page, self.page

    def withdraw(self) -> None:
        self.post(f"/s/{CODE}", {"nav": "stop"})
        yes = next(d for d, label in self.BUTTON.findall(self.page) if "Yes, stop" in label)
        self.post(f"/s/{CODE}", {"b": html.unescape(yes)})

    @property
    def token(self) -> str:
        return self.client.cookies["cips_respondent"]


@pytest.fixture
def survey_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    (folder / "attack.toml").write_text(ATTACK_SURVEY)
    return folder


def _prepare(url: str, folder: Path) -> None:
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        admin = create_administration(session, "TST", "Test Customs", "UTC", ["en"])
        create_campaign(session, admin, load_questionnaire(folder / "attack.toml"), "2026",
                        code=CODE)  # fmt: skip
    db.dispose()


def _storage_order(session, table: str, column: str) -> list[str]:
    order = "rowid" if session.get_bind().dialect.name == "sqlite" else "ctid"
    return list(session.scalars(text(f"SELECT {column} FROM {table} ORDER BY {order}")))


def _matches(guess: list[str], truth: list[str]) -> int:
    return sum(g == t for g, t in zip(guess, truth, strict=True))


def test_an_insider_with_the_database_the_logs_and_the_key_links_nothing(
    database_url, survey_folder, tmp_path, monkeypatch
):
    monkeypatch.setenv("CIPS_MIN_CELL", str(K))
    monkeypatch.setenv("CIPS_QUESTIONNAIRE_DIRS", str(survey_folder))
    monkeypatch.setenv("DATABASE_URL", database_url)
    _prepare(database_url, survey_folder)
    fake = FakeTelegram(Pace(rate=120, burst=12, overall=None)).start()
    bot = BotProcess(fake, database_url, tmp_path, **FAST)
    bot.command[3:3] = ["-v"]  # the logs at DEBUG
    clock = ClockProcess(fake, database_url, tmp_path, every=0.5)
    clock.command[3:3] = ["-v"]
    web = WebProcess(fake, database_url, tmp_path)
    web.command[3:3] = ["-v"]
    bot.start()
    clock.start()
    web.start()
    database = Database(database_url)
    seen_ids: set[str] = set()  # respondent ids before their seal, as an insider could note
    finished: list[str] = []  # signatures, in the order people finished
    lock = threading.Lock()
    errors: list[BaseException] = []
    shuffle = random.Random(17)
    users = list(range(810_000_001, 810_000_001 + PEOPLE))
    roles = dict(zip(users, ["withdraw"] * WITHDRAW + ["leave"] * LEAVE
                     + ["complete"] * (PEOPLE - WITHDRAW - LEAVE), strict=True))  # fmt: skip
    shuffle.shuffle(users)
    signatures = {u: f"sig {shuffle.getrandbits(48):012x}" for u in users}  # names nobody
    in_browser = set(users[:WEB_PEOPLE])  # every role among them (the users are shuffled)
    tokens: dict[int, str] = {}  # each browser's cookie: the attacker is given them all

    def browser(user_id: int) -> None:
        person = Browser(web.port, signatures[user_id], seed=user_id)
        person.join()
        tokens[user_id] = person.token
        if roles[user_id] == "complete":
            person.finish()
            with lock:
                finished.append(person.signature)
            return
        person.step()
        person.step()
        if roles[user_id] == "withdraw":
            person.withdraw()

    def person(user_id: int, delay: float) -> None:
        try:
            time.sleep(delay)  # people arrive at different times (not a wait for the bot)
            if user_id in in_browser:
                browser(user_id)
                return
            participant = Signed(fake.user(user_id, "en"), seed=user_id,
                                 signature=signatures[user_id])  # fmt: skip
            participant.join(CODE)
            if roles[user_id] == "complete":
                participant.finish()
                with lock:
                    finished.append(participant.signature)
                return
            participant.step()
            participant.step()
            if roles[user_id] == "withdraw":
                participant.user.send("/stop")
                participant.user.wait_for(lambda ms: "Yes, stop" in str(ms[-1].keyboard), 30)
                participant.user.press("Yes, stop")
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=person, args=(u, shuffle.uniform(0, 4))) for u in users]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        with database.transaction() as session:
            seen_ids.update(session.scalars(select(Respondent.id)))
        time.sleep(0.1)
    assert errors == [], errors
    assert len(finished) == PEOPLE - WITHDRAW - LEAVE

    # The clock seals what waits in batches of k; what is left waits for the close.
    with database.transaction() as session:
        seen_ids.update(session.scalars(select(Respondent.id)))
    eventually(bot.outbox_empty, 30, "the bot did not send everything")
    context.settings.cache_clear()
    wipes = clock.log_text().count("pre-seal tables wiped")
    closed = run_cips("campaign", "close", CODE)
    context.settings.cache_clear()
    assert "responses sealed" in closed.output
    # The clock notices the close and wipes twice (the second time, no transaction that ran
    # during the first can still need the deleted rows).
    eventually(lambda: clock.log_text().count("pre-seal tables wiped") >= wipes + 2, 30)
    assert bot.stop() == 0 and clock.stop() == 0
    web.stop()
    fake.stop()
    logs = bot.log_text() + clock.log_text() + web.log_text()
    assert f"/s/{CODE}" in web.log_text()  # the web server's log is read too
    assert "DEBUG" in logs  # the attacker reads everything the processes said

    with database.transaction() as session:
        assert session.scalar(select(Respondent.id).limit(1)) is None
        batch_of = dict(session.execute(select(SealedResponse.id, SealedResponse.batch)).all())
        owner = dict(
            session.execute(
                select(SealedAnswer.response_id, SealedAnswer.value).where(
                    SealedAnswer.question_id == "note"
                )
            ).all()
        )
        storage = _storage_order(session, "sealed_responses", "id")
        marks = _storage_order(session, "participations", "mark")
        tables = _tables(session)
        dump = {table: [tuple(r) for r in session.execute(text(f"SELECT * FROM {table}"))]
                for table in tables}  # fmt: skip
        xmins = (
            set(session.scalars(text("SELECT xmin::text FROM sealed_responses")))
            if database.dialect == "postgresql"
            else None
        )
        pre_seal_sizes = None
        if database.dialect == "postgresql":
            pre_seal_sizes = {
                t: session.scalar(text(f"SELECT pg_relation_size('{t}')"))
                for t in ("respondents", "answers", "contacts", "outbox")
            }
    database.dispose()
    assert len(batch_of) == PEOPLE and len(owner) == len(finished)
    batches: dict[int, list[str]] = {}
    for response_id in storage:
        batches.setdefault(batch_of[response_id], []).append(response_id)
    assert all(len(members) >= K for members in batches.values()), batches
    rank = {signature: i for i, signature in enumerate(finished)}

    def chance_bound() -> int:
        # A random order has one match per batch on average (variance about the same): far
        # more than that means the order leaks. Without the shuffle, every one would match.
        return len(batches) + 4 * int(len(batches) ** 0.5) + 3

    # 1. Storage order (SQLite rowid, PostgreSQL ctid) against the order people finished.
    by_storage = by_id = 0
    for members in batches.values():
        signed = [owner[m] for m in members if m in owner]
        truth = sorted(signed, key=rank.get)
        by_storage += _matches(signed, truth)
        by_id += _matches([owner[m] for m in sorted(members) if m in owner], truth)
    assert by_storage <= chance_bound(), (by_storage, len(finished))
    # 2. The random ids' order.
    assert by_id <= chance_bound(), (by_id, len(finished))
    # 3. The participation marks: with the key, each is a known person; their storage order
    #    against the order people finished (sealing shuffles them apart from the responses).
    key = bot.env["CIPS_SECRET_KEY"]
    who = {participation_mark(key, CODE, "telegram", u): signatures[u]
           for u in users if u not in in_browser}  # fmt: skip
    who |= {participation_mark(key, CODE, "web", tokens[u]): signatures[u] for u in in_browser}
    assert len(tokens) == WEB_PEOPLE
    assert set(marks) == set(who)  # one mark per person who consented, and nothing else
    mark_order = [who[m] for m in marks if who[m] in rank]
    position = 0
    by_mark = 0
    for members in batches.values():  # marks of a batch are written together, in batch order
        size = sum(1 for m in members if m in owner)
        chunk = mark_order[position : position + size]
        by_mark += _matches(chunk, sorted(chunk, key=rank.get))
        position += size
    assert by_mark <= chance_bound(), (by_mark, len(finished))
    print(f"linked by storage order {by_storage}, by id order {by_id}, by mark order {by_mark} "
          f"of {len(finished)} finished, in {len(batches)} batches (chance bound "
          f"{chance_bound()})")  # fmt: skip
    # 4. PostgreSQL's transaction ids: one per batch, shared by the whole batch.
    if xmins is not None:
        assert len(xmins) == len(batches)
    # 5. Times, update ids and tokens: no table but the sealed ones holds anything of a
    #    response, and the sealed ones hold no time at all; nothing encrypted with the key is
    #    left (a Fernet token carries its creation time in clear).
    for table in ("respondents", "answers", "contacts", "outbox"):
        assert dump[table] == [], table
    cells = [str(cell) for rows in dump.values() for row in rows for cell in row]
    assert not [c for c in cells if c.startswith("gAAAAA")], "a Fernet token is left"
    sealed_columns = {c.name for c in SealedResponse.__table__.columns}
    assert not sealed_columns & {"started_on", "completed_on", "updated_on", "created_at"}
    # 6. The logs at DEBUG and every table: no Telegram id, no mark, no pre-seal id.
    everything = logs + "\n".join(cells)
    assert not [u for u in users if str(u) in everything]
    assert not [t for t in tokens.values() if t in everything]  # a browser's cookie
    # The web server logs no respondent's address (its development server logged each one).
    assert not [line for line in web.log_text().splitlines()
                if "/s/" in line and "127.0.0.1" in line]  # fmt: skip
    assert not [m for m in who if m in logs]
    assert seen_ids and not [i for i in seen_ids if i in everything]
    # 7. What deletion leaves behind: the SQLite file and its WAL (free pages), PostgreSQL's
    #    pre-seal tables (rewritten, so no dead row versions remain).
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert not [i for i in seen_ids if i.encode() in raw], "a pre-seal id survives"
        assert not [t for t in tokens.values() if t.encode() in raw], "a cookie survives"
        assert b"gAAAAA" not in raw, "an encrypted chat id survives"
    else:
        assert pre_seal_sizes == {t: 0 for t in pre_seal_sizes}, pre_seal_sizes


def _tables(session) -> list[str]:
    if session.get_bind().dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    else:
        query = "SELECT tablename FROM pg_tables WHERE schemaname='public'"
    return list(session.scalars(text(query)))

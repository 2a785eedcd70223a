"""Sealing (DESIGN.md, Anonymity 3), played by an insider who holds the database and the key.

Respondents go through the engine; finished responses wait, linkable, until k of them can be
sealed together; then the attacker reads every table (SQLite rowids, PostgreSQL ctid and xmin)
and the SQLite file itself, and tries to tie sealed responses to the people who gave them.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from cips.cli import context
from survey import sealing
from survey.anonymity import participation_mark
from survey.campaign_editing import close_now
from survey.campaigns import create_administration, create_campaign
from survey.engine import ConversationEngine
from survey.loader import load_questionnaire, load_questionnaires
from survey.storage.models import (
    Campaign,
    Contact,
    DailyCount,
    Participation,
    Respondent,
    SealedAnswer,
    SealedResponse,
)
from tests.cli_support import run_cips
from tests.conftest import TEST_SECRET
from tests.engine_driver import ControlledClock
from tests.engine_driver import Respondent as Person
from tests.test_engine import SMALL

K = 5


@pytest.fixture
def clock():
    return ControlledClock(dt.datetime.now(dt.UTC).replace(microsecond=0))


@pytest.fixture
def engine(db, tmp_path, clock):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    questionnaires = load_questionnaires() | {"small": load_questionnaire(path)}
    with db.transaction() as session:
        admin = create_administration(session, "BF", "Douanes", "UTC", ["en"])
        create_campaign(session, admin, questionnaires["small"], "2026", code="small")
    return ConversationEngine(db, questionnaires, TEST_SECRET, clock=clock,
                              languages=lambda: ["en"])  # fmt: skip


def _finish(engine, user_id: str, note: str = "nothing") -> Person:
    """A person who answers everything; the free-text question gets `note`."""
    person = Person(engine, user_id, language_hint="en")
    person.join("small")
    person.answer_everything(typed=lambda question_id: note if question_id == "note" else "3")
    return person


def _count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_finished_responses_wait_for_k_then_are_sealed_together(db, engine):
    ids = []
    for number in range(K - 1):
        person = _finish(engine, f"u{number}")
        assert "Thank you" in person.text()
    with db.transaction() as session:
        ids = [r.id for r in session.scalars(select(Respondent))]
    assert sealing.seal_ready(db, K) == 0  # four wait: still linkable, not sealed
    assert _count(db, SealedResponse) == 0 and len(ids) == K - 1
    # Waiting, the mark still stops a second response.
    again = Person(engine, "u0", language_hint="en")
    again.command("start", "small")
    assert "already taken part" in again.text()

    _finish(engine, f"u{K - 1}")
    assert sealing.seal_ready(db, K) == K
    assert _count(db, Respondent) == 0
    with db.transaction() as session:
        sealed = session.scalars(select(SealedResponse)).all()
        assert {s.status for s in sealed} == {"completed"} and {s.batch for s in sealed} == {1}
        assert not {s.id for s in sealed} & set(ids)  # fresh ids
        assert session.scalar(select(func.count()).select_from(SealedAnswer)) > K
        marks = set(session.scalars(select(Participation.mark)))
    expected = {participation_mark(TEST_SECRET, "small", "test", f"u{n}") for n in range(K)}
    assert marks == expected
    # Sealed, the mark still stops a second response; /delete finds nothing.
    again = Person(engine, "u3", language_hint="en")
    again.command("start", "small")
    assert "already taken part" in again.text()
    again.command("delete")
    assert _count(db, SealedResponse) == K


def test_close_seals_what_is_left_with_the_last_batch(db, engine, clock):
    for number in range(K):
        _finish(engine, f"a{number}")
    sealing.seal_ready(db, K)
    with db.transaction() as session:
        first_ids = set(session.scalars(select(SealedResponse.id)))
    _finish(engine, "late")  # finished, but alone: waits for a batch
    halfway = Person(engine, "halfway", language_hint="en")
    halfway.join("small")
    halfway.press("Broker")
    quitter = Person(engine, "quitter", language_hint="en")
    quitter.join("small")
    quitter.command("stop")
    quitter.press("Yes, stop")
    assert sealing.seal_ready(db, K) == 0

    with db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == "small"))
        assert close_now(session, campaign, clock(), K) == 3
    sealing.wipe(db, resealed=True)
    assert _count(db, Respondent) == 0 and _count(db, Contact) == 0
    with db.transaction() as session:
        sealed = session.scalars(select(SealedResponse)).all()
        statuses = sorted(s.status for s in sealed)
        ids = {s.id for s in sealed}
    # One batch of K + 3, all with fresh ids (the first batch was sealed again with them).
    assert statuses == ["completed"] * (K + 1) + ["cut_off", "withdrawn"]
    assert len(ids) == K + 3 and not ids & first_ids
    assert _count(db, Participation) == K + 3


def test_per_day_figures_are_counters_and_sealed_responses_carry_no_date(db, engine, clock):
    for number in range(K):
        _finish(engine, f"d{number}")
        clock.now += dt.timedelta(hours=7)
    sealing.seal_ready(db, K)
    with db.transaction() as session:
        days = session.execute(select(DailyCount.day, DailyCount.started, DailyCount.completed))
        assert sum(started for _, started, _ in days) == K
    columns = {c.name for c in SealedResponse.__table__.columns}
    columns |= {c.name for c in SealedAnswer.__table__.columns}
    assert columns == {"id", "campaign_id", "batch", "language", "status", "position",
                       "source_tag", "response_id", "question_id", "value"}  # fmt: skip


def _storage_order(db, table: str) -> list[str]:
    """The rows' ids in the order the storage keeps them (SQLite rowid, PostgreSQL ctid)."""
    order = "rowid" if db.dialect == "sqlite" else "ctid"
    column = "mark" if table == "participations" else "id"
    with db.transaction() as session:
        return list(session.scalars(text(f"SELECT {column} FROM {table} ORDER BY {order}")))


def test_the_insider_cannot_line_sealed_responses_up_with_people(db, engine, clock):
    """Thirty people start and finish in a known order, each typing a comment that names them
    (what an attacker would look for); sealed in batches of k. With the key, the attacker knows
    every person's mark, and reads the storage order of marks and of sealed responses, their
    ids, and PostgreSQL's transaction ids. Within a batch none of it follows the order in which
    people finished."""
    people = [f"p{n:02d}" for n in range(30)]
    order = people[:]
    random.Random(7).shuffle(order)
    comments = {}
    for person_id in order:
        comments[person_id] = f"signed {person_id}"
        _finish(engine, person_id, comments[person_id])
        clock.now += dt.timedelta(minutes=3)
        sealing.seal_ready(db, K)
    assert _count(db, SealedResponse) == 30 and _count(db, Respondent) == 0

    marks = {participation_mark(TEST_SECRET, "small", "test", p): p for p in people}
    mark_order = [marks[m] for m in _storage_order(db, "participations")]
    with db.transaction() as session:
        by_id = dict(session.execute(select(SealedResponse.id, SealedResponse.batch)).all())
        comment_of = dict(session.execute(select(SealedAnswer.response_id, SealedAnswer.value)
                                          .where(SealedAnswer.question_id == "note")).all())  # fmt: skip
    response_order = _storage_order(db, "sealed_responses")
    owner = {rid: comment_of[rid].split()[-1] for rid in response_order if rid in comment_of}
    # The comment tells the test (not the attacker) whose each response is.
    assert len(owner) == 30
    finished_rank = {p: i for i, p in enumerate(order)}
    batches: dict[int, list[str]] = {}
    for rid in response_order:
        batches.setdefault(by_id[rid], []).append(owner[rid])
    assert all(len(members) >= K for members in batches.values())
    # Every batch holds people who finished one after the other (that much is allowed) ...
    # ... but within a batch, neither the responses' storage order, nor their ids' order, nor
    # the marks' storage order follow the finishing order (a perfect match in every batch would
    # happen by chance with probability (1/5!)^6).
    in_storage_order = sum(
        [finished_rank[p] for p in members] == sorted(finished_rank[p] for p in members)
        for members in batches.values()
    )
    assert in_storage_order < len(batches)
    by_sorted_id = [owner[rid] for rid in sorted(owner)]
    assert by_sorted_id != sorted(by_sorted_id, key=finished_rank.get)
    assert mark_order != sorted(mark_order, key=finished_rank.get)
    if db.dialect == "postgresql":
        with db.transaction() as session:
            xmins = set(session.scalars(text("SELECT xmin::text FROM sealed_responses")))
        assert len(xmins) == len(batches)  # one transaction per batch, shared by all of it


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_sqlite_file_keeps_nothing_of_what_sealing_deleted(db, engine, database_url):
    """The old respondent ids and contact records must not survive in free pages or the WAL."""
    for number in range(K):
        _finish(engine, f"f{number}")
    with db.transaction() as session:
        old_ids = [r.id for r in session.scalars(select(Respondent))]
    assert len(old_ids) == K
    sealing.seal_ready(db, K)
    path = Path(database_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    leftovers = [i for i in old_ids if i.encode() in raw]
    assert leftovers == []


def test_cips_health_reports_the_sealing_backlog(db, engine, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CIPS_MIN_CELL", str(K))
    context.settings.cache_clear()  # the command reads these settings
    for number in range(K - 1):
        _finish(engine, f"h{number}")
    waiting = run_cips("health", "--sealing")
    assert f"ok: sealing: {K - 1} finished responses wait for a batch of {K} (small {K - 1})" in (
        waiting.output
    )
    _finish(engine, "h-last")  # a batch is ready, and nobody sealed it
    stuck = run_cips("health", "--sealing", ok=False)
    assert stuck.exit_code == 1 and "not sealed though they could be: small" in stuck.output
    sealing.seal_ready(db, K)
    assert "ok: sealing: 0 finished responses wait" in run_cips("health", "--sealing").output
    context.settings.cache_clear()

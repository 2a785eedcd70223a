"""Migration 0004 seals an existing database (issue 17): finished responses of closed campaigns,
and of open ones with at least k waiting, move to the sealed tables without dates; per-day
figures become counters; the pre-seal rows are gone from the tables and from the file."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from survey.storage.db import Database
from survey.storage.migrate import upgrade
from survey.storage.models import (
    DailyCount,
    Participation,
    Respondent,
    SealedAnswer,
    SealedResponse,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_database(request, tmp_path: Path):
    """A database at revision 0003, as deployments have it before sealing."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("empty_postgres_url")
    upgrade(url, "0003_web")
    return url


def _insert_old_data(url: str, monkeypatch) -> list[str]:
    db = Database(url)
    sqlite = db.dialect == "sqlite"
    now = dt.datetime.now(dt.UTC)
    stamp = now.replace(tzinfo=None) if sqlite else now  # as each backend stored them
    day = now.date()
    ids = []
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO administrations (id, code, name, timezone, languages, created_at) "
            "VALUES (1, 'BF', 'Douanes', 'UTC', 'en', :t)"), {"t": stamp})  # fmt: skip
        for campaign_id, code, closed in ((1, "old", stamp), (2, "live", None), (3, "few", None)):
            connection.execute(text(
                "INSERT INTO campaigns (id, code, administration_id, questionnaire_id, "
                "questionnaire_version, wave, closed_at, remind_after_s, remind_every_s, "
                "max_reminders, quiet_start_hour, quiet_end_hour, created_at) VALUES (:id, :code, "
                "1, 'cips-officials', '1', '2025', :closed, 1, 1, 1, 20, 8, :t)"),
                {"id": campaign_id, "code": code, "closed": closed, "t": stamp})  # fmt: skip
        people = [(1, "completed")] * 3 + [(1, "in_progress")] + [(2, "completed")] * 11
        people += [(2, "in_progress")] * 2 + [(3, "withdrawn")] * 2
        for number, (campaign_id, status) in enumerate(people):
            rid = secrets.token_hex(16)  # random: a run of zeros is in every file (hashes)
            ids.append(rid)
            connection.execute(text(
                "INSERT INTO respondents (id, campaign_id, language, status, position, "
                "started_on, updated_on, completed_on) VALUES (:id, :c, 'en', :s, :p, :d, :d, "
                ":done)"), {"id": rid, "c": campaign_id, "s": status, "d": day,
                            "p": None if status == "completed" else "o_role",
                            "done": day if status == "completed" else None})  # fmt: skip
            connection.execute(text("INSERT INTO answers (respondent_id, question_id, value) "
                                    "VALUES (:id, 'gender', 'f')"), {"id": rid})  # fmt: skip
            connection.execute(text("INSERT INTO participations (campaign_id, mark) "
                                    "VALUES (:c, :m)"), {"c": campaign_id, "m": f"m{number}"})  # fmt: skip
    db.dispose()
    monkeypatch.setenv("CIPS_MIN_CELL", "10")
    return ids


def test_the_migration_seals_what_sealing_would_have_sealed(old_database, monkeypatch):
    old_ids = _insert_old_data(old_database, monkeypatch)
    upgrade(old_database)
    db = Database(old_database)
    with db.transaction() as session:
        sealed = session.execute(
            select(SealedResponse.campaign_id, SealedResponse.status, func.count()).group_by(
                SealedResponse.campaign_id, SealedResponse.status
            )
        ).all()
        left = session.execute(select(Respondent.campaign_id, Respondent.status)).all()
        sealed_ids = set(session.scalars(select(SealedResponse.id)))
        answers = session.scalar(select(func.count()).select_from(SealedAnswer))
        days = session.execute(
            select(func.sum(DailyCount.started), func.sum(DailyCount.completed))
        ).one()
        marks = session.scalar(select(func.count()).select_from(Participation))
    # The closed campaign whole (its one under way cut off), the open one's 11 finished (a
    # batch of k); the open campaign's two still answering and the two withdrawn of a campaign
    # below k wait, linkable, as they would have.
    assert sorted(sealed) == [(1, "completed", 3), (1, "cut_off", 1), (2, "completed", 11)]
    assert sorted(left) == [(2, "in_progress"), (2, "in_progress"), (3, "withdrawn"),
                            (3, "withdrawn")]  # fmt: skip
    assert not sealed_ids & set(old_ids) and answers == 15
    assert tuple(days) == (19, 14)  # every start and completion, as counters
    assert marks == 19  # no mark is lost: nobody can answer twice
    if db.dialect == "sqlite":
        path = Path(old_database.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        gone = [i for i in old_ids[:4] + old_ids[4:15] if i.encode() in raw]
        assert gone == [], "a sealed respondent's old id survives in the file"
    db.dispose()

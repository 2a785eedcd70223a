"""The storage layer on SQLite and PostgreSQL: schema, constraints, and the anonymity split."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from survey.campaigns import campaign_figures, create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.storage.models import (
    Answer,
    Base,
    Campaign,
    CampaignStatus,
    Contact,
    Participation,
    Respondent,
    RespondentStatus,
)


@pytest.fixture
def campaign(db):
    questionnaire = load_questionnaires()["cips-officials"]
    with db.transaction() as session:
        admin = create_administration(session, "BF", "Douanes", "Africa/Ouagadougou", ["fr", "en"])
        created = create_campaign(session, admin, questionnaire, "2026", target=500)
        return created.id


def test_migrations_match_the_models(db):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_response_tables_hold_no_delivery_columns(db):
    columns = {
        table: {c["name"] for c in inspect(db.engine).get_columns(table)}
        for table in ("respondents", "answers")
    }
    forbidden = {
        "chat_id",
        "user_id",
        "user_hash",
        "chat_secret",
        "username",
        "phone",
        "contact_id",
    }
    assert all(not names & forbidden for names in columns.values()), columns
    time_columns = {
        c["name"]: type(c["type"]).__name__
        for c in inspect(db.engine).get_columns("respondents")
        if c["name"].endswith(("_on", "_at"))
    }
    assert set(time_columns.values()) == {"DATE"}, "response times are stored to the day"


def test_one_answer_per_question(db, campaign):
    with db.transaction() as session:
        respondent = Respondent(campaign_id=campaign, language="fr", position="gender")
        session.add(respondent)
        session.flush()
        session.add(Answer(respondent_id=respondent.id, question_id="gender", value="female"))
        respondent_id = respondent.id
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(Answer(respondent_id=respondent_id, question_id="gender", value="male"))
    with db.transaction() as session:
        assert session.scalars(select(Answer.value)).all() == ["female"]


def test_deleting_a_respondent_deletes_its_answers_and_unlinks_its_contact(db, campaign):
    with db.transaction() as session:
        respondent = Respondent(campaign_id=campaign, language="en")
        session.add(respondent)
        session.flush()
        session.add_all(
            [
                Answer(respondent_id=respondent.id, question_id="lc1", value="4"),
                Answer(respondent_id=respondent.id, question_id="lc2", value="DK"),
                Contact(
                    campaign_id=campaign,
                    channel="telegram",
                    user_hash="h" * 64,
                    stage="answering",
                    respondent_id=respondent.id,
                ),
            ]
        )
        respondent_id = respondent.id
    with db.transaction() as session:
        session.delete(session.get(Respondent, respondent_id))
    with db.transaction() as session:
        assert session.scalars(select(Answer)).all() == []
        assert session.scalar(select(Contact.respondent_id)) is None


def test_participation_mark_is_unique_per_campaign(db, campaign):
    with db.transaction() as session:
        session.add(Participation(campaign_id=campaign, mark="m" * 64))
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(Participation(campaign_id=campaign, mark="m" * 64))


def test_times_come_back_in_utc_and_campaign_status_follows_them(db, campaign):
    opens = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    with db.transaction() as session:
        row = session.get(Campaign, campaign)
        row.opens_at = opens
        row.closes_at = opens + dt.timedelta(days=30)
    with db.transaction() as session:
        row = session.get(Campaign, campaign)
        assert row.opens_at == opens and row.opens_at.tzinfo == dt.UTC
        assert row.status(opens - dt.timedelta(seconds=1)) is CampaignStatus.SCHEDULED
        assert row.status(opens) is CampaignStatus.OPEN
        assert row.status(opens + dt.timedelta(days=30)) is CampaignStatus.CLOSED


def test_figures_count_the_database(db, campaign):
    statuses = [RespondentStatus.COMPLETED] * 3 + [RespondentStatus.IN_PROGRESS] * 2
    with db.transaction() as session:
        session.add_all(Respondent(campaign_id=campaign, language="en", status=s) for s in statuses)
    with db.transaction() as session:
        figures = campaign_figures(session, session.get(Campaign, campaign))
    assert (figures.started, figures.completed, figures.completion_rate) == (5, 3, 60.0)


def test_a_commit_on_sqlite_is_on_disk_when_it_returns(tmp_path):
    """WAL with synchronous=FULL: an answer accepted survives a power cut, not only a crash."""
    from survey.storage.db import Database

    db = Database(f"sqlite:///{tmp_path / 'durable.db'}")
    with db.engine.connect() as connection:
        pragmas = [connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("journal_mode", "synchronous")]  # fmt: skip
    db.dispose()
    assert pragmas == ["wal", 2]  # 2 is FULL

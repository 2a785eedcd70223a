"""The lean path of the common answer: the same conversation as the general path, in fewer
statements, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random

import psycopg
import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from survey.campaigns import create_administration, create_campaign
from survey.engine import ConversationEngine, ReplyKind, quick
from survey.engine.inputs import event_for_button
from survey.loader import load_questionnaires
from survey.storage import Answer, Contact, Respondent
from tests.conftest import TEST_SECRET
from tests.engine_driver import ControlledClock
from tests.engine_driver import Respondent as Person

# Statements per common answer (BEGIN and COMMIT left out): lock, read, then three writes on
# SQLite, one on PostgreSQL. The general path took seven.
MOST_STATEMENTS = {"sqlite": 5, "postgresql": 3}
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(db):
    questionnaires = load_questionnaires()
    with db.transaction() as session:
        admin = create_administration(session, "BF", "Douanes", "UTC", ["en"])
        create_campaign(session, admin, questionnaires["cips-officials"], "2026", code="off")
    clock = ControlledClock(START)
    return ConversationEngine(db, questionnaires, TEST_SECRET, clock=clock,
                              languages=lambda: ["en"])  # fmt: skip


def _statements(db):
    """Every statement the database driver runs from here on, as the driver sees it (the lean
    path runs on the driver's cursor, below SQLAlchemy's events)."""
    seen: list[str] = []
    traced = []

    def record(statement: str) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT")):
            seen.append(statement)

    class Counting(psycopg.Cursor):
        def execute(self, query, *args, **kwargs):
            record(query if isinstance(query, str) else query.as_string(self))
            return super().execute(query, *args, **kwargs)

    def trace(connection) -> None:
        driver = connection.connection.driver_connection
        if db.dialect == "sqlite":
            driver.set_trace_callback(record)
        else:
            driver.cursor_factory = Counting
        traced.append(driver)

    def stop() -> None:
        event.remove(db.engine, "begin", trace)
        for driver in traced:
            if db.dialect == "sqlite":
                driver.set_trace_callback(None)
            else:
                driver.cursor_factory = psycopg.Cursor

    event.listen(db.engine, "begin", trace)
    return seen, stop


def test_a_common_answer_takes_a_few_statements_and_reschedules_the_reminder(engine, db):
    person = Person(engine, "501")
    person.join("off")
    engine.clock.now += dt.timedelta(hours=1)
    with db.transaction() as session:
        planned = session.scalar(select(Contact.next_reminder_at))
    first = person.prompt.question_id
    seen, stop = _statements(db)
    try:
        replies = person.press(person.prompt.buttons[0].value)
    finally:
        stop()
    assert [r.kind for r in replies] == [ReplyKind.ANSWER_RECORDED, ReplyKind.QUESTION]
    assert replies[1].question_id != first and replies[1].progress[0] == 2
    assert len(seen) <= MOST_STATEMENTS[db.dialect], seen
    with db.transaction() as session:
        assert session.scalar(select(Answer.question_id)) == first
        assert session.scalar(select(Respondent.position)) == replies[1].question_id
        contact = session.execute(select(Contact.last_progress_at, Contact.next_reminder_at)).one()
    assert contact == (engine.clock.now, planned + dt.timedelta(hours=1))


def _conversation(engine, user_id: str, seed: int, steps: int) -> list:
    """A respondent pressing, typing, skipping, going back and changing answers at random."""
    engine.clock.now = START
    person = Person(engine, user_id)
    person.join("off")
    choices = random.Random(seed)
    for _ in range(steps):
        engine.clock.now += dt.timedelta(hours=5)  # across days, and into the quiet hours
        prompt = person.prompt
        if prompt.kind is not ReplyKind.QUESTION:
            break
        roll = choices.random()
        if roll < 0.08:
            person.command("back")
        elif roll < 0.12 and prompt.buttons:
            person.send(event_for_button(person.sender, prompt.buttons[0]))  # a double tap
            person.send(event_for_button(person.sender, prompt.buttons[0]))
        elif prompt.buttons:
            person.send(event_for_button(person.sender, choices.choice(prompt.buttons)))
        else:
            person.type(choices.choice(["3", "12", "abc", "Fine, thanks", ""]))
    return person.history


def _stored(db) -> tuple:
    with db.transaction() as session:
        respondent = session.execute(
            select(Respondent.position, Respondent.status, Respondent.draft, Respondent.updated_on)
        ).one()
        answers = dict(session.execute(select(Answer.question_id, Answer.value)).all())
        contact = session.execute(
            select(Contact.stage, Contact.last_progress_at, Contact.next_reminder_at)
        ).all()
    return tuple(respondent), answers, contact


@pytest.mark.parametrize(("seed", "steps"), [(1, 12), (2, 30), (3, 200)])
def test_the_lean_path_says_and_stores_what_the_general_path_does(
    engine, db, monkeypatch, seed, steps
):
    """Stopped half-way (where the last events took the lean path), and to the end."""
    lean = _conversation(engine, "601", seed, steps)
    lean_state = _stored(db)
    with db.transaction() as session:
        for model in (Contact, Answer, Respondent):
            session.query(model).delete()
    monkeypatch.setattr(quick, "answer", lambda *args: None)  # everything on the general path
    general = _conversation(engine, "602", seed, steps)
    assert lean == general
    assert lean_state == _stored(db)


def test_a_driver_error_on_the_lean_path_is_sqlalchemys_and_hides_the_values(engine, db):
    """The engine retries a race on SQLAlchemy's IntegrityError, whichever path lost it; and the
    message quotes no parameters (answers, keyed hashes) as SQLAlchemy would not either."""
    person = Person(engine, "701")
    person.join("off")
    person.press(person.prompt.buttons[0].value)
    with db.transaction() as session:
        respondent, question = session.execute(
            select(Answer.respondent_id, Answer.question_id)
        ).one()
    with pytest.raises(IntegrityError) as raised, db.engine.begin() as connection:
        quick.ADD_ANSWER.run(
            connection, {"respondent": respondent, "question": question, "answer": "secret-5"}
        )
    assert "secret-5" not in str(raised.value) and "parameters" not in str(raised.value)

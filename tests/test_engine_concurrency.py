"""Two workers handling the same event at the same moment, on parallel connections."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from sqlalchemy import func, select

from survey.campaigns import create_administration, create_campaign
from survey.engine import ConversationEngine, ReplyKind, Typed
from survey.engine.inputs import event_for_button, event_for_command
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.models import Answer, Contact, Respondent
from tests.conftest import TEST_SECRET
from tests.engine_driver import Respondent as Person


def twice_at_once(engines, event):
    """Hand the same event to both engines at the same instant; return both reply lists."""
    barrier = threading.Barrier(len(engines))

    def work(engine):
        barrier.wait()
        return engine.handle(event)

    with ThreadPoolExecutor(len(engines)) as pool:
        return list(pool.map(work, engines))


def test_duplicate_events_on_two_workers_answer_once(database_url):
    questionnaires = load_questionnaires()
    databases = [Database(database_url), Database(database_url)]
    with databases[0].transaction() as session:
        admin = create_administration(session, "BF", "Douanes", "UTC", ["en"])
        create_campaign(session, admin, questionnaires["cips-private-sector"], "2026", code="priv")
    engines = [ConversationEngine(db, questionnaires, TEST_SECRET, languages=lambda: ["en"])
               for db in databases]  # fmt: skip
    person = Person(engines[0], "4242")

    starts = twice_at_once(engines, event_for_command(person.sender, "start", "priv"))
    assert all(r[-1].kind is ReplyKind.CONSENT for r in starts)
    person.history += starts[0]
    consents = twice_at_once(engines, person.button_event("Yes, I agree"))
    assert sorted(len(r) for r in consents) == [0, 1], "one consent counts, the twin says nothing"
    person.history += max(consents, key=len)

    asked = []
    while (
        person.prompt.kind is ReplyKind.QUESTION and person.history[-1].kind is not ReplyKind.INFO
    ):
        question = person.prompt
        buttons = [b for b in question.buttons if b.row != "nav"]
        if not buttons:  # the free-text question: a typed answer, redelivered with its update id
            update = replace(person.sender, event_id=len(asked) + 1)
            results = twice_at_once(engines, Typed(update, "All good"))
        else:
            results = twice_at_once(engines, event_for_button(person.sender, buttons[-1]))
        asked.append(question.question_id)
        # Only one worker may act. (A twin of the very last, completing message finds the
        # conversation gone; for typed text it may then only repeat how to start a survey.)
        winners = [
            r for r in results if any(reply.kind is ReplyKind.ANSWER_RECORDED for reply in r)
        ]
        assert len(winners) == 1, f"{question.question_id}: both workers acted"
        assert all(r == [] or r in winners or r[0].kind is ReplyKind.INFO for r in results)
        person.history += winners[0]
    assert "Thank you! Your answers have been saved" in str(person.history[-1].parts[-1].msgid)

    with databases[0].transaction() as session:
        assert session.scalar(select(func.count()).select_from(Respondent)) == 1
        stored = session.scalars(select(Answer.question_id)).all()
        assert sorted(stored) == sorted(set(asked)) and len(stored) == len(asked)
        assert session.scalar(select(func.count()).select_from(Contact)) == 0
        # One participation mark, waiting on the response until it is sealed.
        marks = select(Respondent.mark).where(Respondent.mark.is_not(None))
        assert len(session.scalars(marks).all()) == 1
    for db in databases:
        db.dispose()

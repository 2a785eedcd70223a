"""Property-based: random event sequences never break the engine's invariants."""

from __future__ import annotations

import itertools
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from survey.campaigns import create_administration, create_campaign
from survey.engine import ConversationEngine, Typed
from survey.engine.flow import SKIPPED, first_unanswered, shown_questions
from survey.engine.inputs import event_for_button, event_for_command
from survey.loader import load_questionnaire, load_questionnaires
from survey.storage import Answer, Database, Respondent
from survey.storage.models import RespondentStatus
from tests.conftest import TEST_SECRET
from tests.test_engine import SMALL

USER_ID = "777000111"
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("press"), st.integers(0, 8)),
        st.tuples(st.just("stale"), st.integers(0, 40), st.integers(0, 8)),
        st.tuples(
            st.just("type"),
            st.sampled_from(["1", "4", "5", "yes", "No", "12", "hello", "", "x" * 30]),
        ),
        st.tuples(
            st.just("command"), st.sampled_from(["back", "help", "language", "stop", "start"])
        ),
        st.tuples(st.just("repeat")),
    ),
    max_size=40,
)
_numbers = itertools.count()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_random_conversations_keep_the_invariants(steps, sqlite_template, tmp_path):
    path = tmp_path / f"p{next(_numbers)}.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    (tmp_path / "small.toml").write_text(SMALL)
    questionnaire = load_questionnaire(tmp_path / "small.toml")
    questionnaires = load_questionnaires() | {"small": questionnaire}
    with db.transaction() as session:
        admin = create_administration(session, "XX", "X", "UTC", ["en"])
        create_campaign(session, admin, questionnaire, "1", code="small")
    engine = ConversationEngine(db, questionnaires, TEST_SECRET, languages=lambda: ["en"])
    from tests.engine_driver import Respondent as Person

    person = Person(engine, USER_ID)
    person.join("small")
    events = []
    for step in steps:
        prompts = [r for r in person.history if r.buttons]
        if step[0] == "press" and prompts:
            buttons = prompts[-1].buttons
            event = event_for_button(person.sender, buttons[step[1] % len(buttons)])
        elif step[0] == "stale" and prompts:
            buttons = prompts[step[1] % len(prompts)].buttons
            event = event_for_button(person.sender, buttons[step[2] % len(buttons)])
        elif step[0] == "type":
            event = Typed(person.sender, step[1])
        elif step[0] == "command":
            event = event_for_command(person.sender, step[1], "small" if step[1] == "start" else "")
        elif step[0] == "repeat" and events:
            event = events[-1]
        else:
            continue
        events.append(event)
        person.send(event)
        check_invariants(db, questionnaire)
    db.dispose()


def check_invariants(db, questionnaire):
    with db.transaction() as session:
        respondents = session.scalars(select(Respondent)).all()
        assert len(respondents) <= 1
        for respondent in respondents:
            answers = dict(
                session.execute(
                    select(Answer.question_id, Answer.value).where(
                        Answer.respondent_id == respondent.id
                    )
                ).all()
            )
            shown = [q.id for q in shown_questions(questionnaire, answers)]
            assert set(answers) <= set(shown), "no answer to a hidden question"
            required_done = all(
                answers.get(q.id) not in (None, SKIPPED)
                for q in shown_questions(questionnaire, answers)
                if q.required
            )
            complete = first_unanswered(questionnaire, answers) is None
            if respondent.status == RespondentStatus.COMPLETED:
                assert complete and required_done and respondent.position is None
            elif respondent.status == RespondentStatus.IN_PROGRESS:
                assert not complete, "a complete response is marked completed"
                assert respondent.position in shown
                following = first_unanswered(questionnaire, answers)
                assert shown.index(respondent.position) <= shown.index(following)
            else:  # withdrawn: the position stays where they left off (the dropout funnel)
                assert respondent.position in shown
            assert USER_ID not in repr(answers) and USER_ID not in repr(vars(respondent))

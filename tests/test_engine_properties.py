"""Property-based: random event sequences never break the engine's invariants."""

from __future__ import annotations

import functools
import itertools
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from survey.campaigns import create_administration, create_campaign
from survey.engine import ConversationEngine, ReplyKind, Typed
from survey.engine.flow import SKIPPED, first_unanswered, progress, shown_questions
from survey.engine.inputs import event_for_button, event_for_command
from survey.loader import load_questionnaire, load_questionnaires
from survey.questionnaire import QuestionType
from survey.storage.db import Database
from survey.storage.models import Answer, Respondent, RespondentStatus
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


# -- progress: n of N, never backwards, its total never growing --------------------------------

BRANCHY = """
id = "branchy"
version = "1"
survey = "other"
title = "Every kind of skip logic"
source_language = "en"

[[items]]
id = "q1"
type = "single_choice"
text = "One?"
choices = [{ code = "yes", label = "Yes" }, { code = "no", label = "No" }]

[[items]]
id = "q2"
type = "number"
text = "How many?"
min = 0
max = 100
show_if = { question = "q1", in = ["yes"] }

[[items]]
id = "q3"
type = "agreement"
factor = 1
text = "Agree?"
show_if = { question = "q2", min = 10, max = 50 }

[[items]]
id = "q4"
type = "multiple_choice"
text = "Which?"
max_choices = 2
required = false
choices = [
  { code = "a", label = "A" }, { code = "b", label = "B" },
  { code = "c", label = "C" }, { code = "d", label = "D" },
]

[[items]]
id = "q5"
type = "single_choice"
text = "Five?"
show_if = { question = "q4", in = ["a"] }
choices = [{ code = "x", label = "X" }, { code = "y", label = "Y" }]

[[items]]
id = "q6"
type = "text"
text = "Six?"
required = false
show_if = { question = "q4", not_in = ["b"] }

[[items]]
id = "q7"
type = "single_choice"
text = "Seven?"
show_if = [{ question = "q5", in = ["x"] }, { question = "q3", min = 4 }]
choices = [{ code = "x", label = "X" }, { code = "y", label = "Y" }]

[[items]]
id = "q8"
type = "text"
text = "Eight?"
show_if = { question = "q6", in = ["none"] }

[[items]]
id = "q9"
type = "text"
text = "Last?"
"""


@functools.cache
def _branchy():
    path = Path(tempfile.mkdtemp()) / "branchy.toml"
    path.write_text(BRANCHY)
    return load_questionnaire(path)


def _value(draw, question):
    """A random answer to `question`, as the engine stores it (SKIPPED for a skip)."""
    options = [] if question.required else [SKIPPED]
    if question.type is QuestionType.NUMBER:
        options.append(str(draw(st.integers(int(question.min), int(question.max)))))
    elif question.type is QuestionType.TEXT:
        options += ["none", "something"]
    elif question.type is QuestionType.MULTIPLE_CHOICE:
        chosen = draw(st.sets(st.sampled_from(question.codes), min_size=1, max_size=2))
        options.append(";".join(c for c in question.codes if c in chosen))
    else:
        options += list(question.codes)
    return draw(st.sampled_from(options))


def _progress_holds(seen: list[tuple[int, int]]) -> None:
    """The shown number goes up by one, the total never grows, and the last shows n == N."""
    for (n, total), (n2, total2) in itertools.pairwise(seen):
        assert n2 == n + 1 and total2 <= total, seen
    assert seen[-1][0] == seen[-1][1] == len(seen), seen


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_progress_on_every_kind_of_skip_logic(data):
    questionnaire = _branchy()
    answers: dict[str, str] = {}
    seen = []
    while (position := first_unanswered(questionnaire, answers)) is not None:
        seen.append(progress(questionnaire, answers, position))
        answers[position] = _value(data.draw, questionnaire.question(position))
    _progress_holds(seen)


def test_progress_total_is_the_longest_path():
    """Not just a bound: the total at the start is the length of the longest path."""
    questionnaire = _branchy()
    longest = {"q1": "yes", "q2": "20", "q3": "4", "q4": "a", "q5": "x", "q6": "none", "q7": "y"}
    answers: dict[str, str] = {}
    seen = []
    while (position := first_unanswered(questionnaire, answers)) is not None:
        seen.append(progress(questionnaire, answers, position))
        answers[position] = longest.get(position, "fine")
    assert seen == [(n, 9) for n in range(1, 10)]
    # The shortest: no branch taken, and the total says so as soon as it is known.
    answers, seen = {}, []
    while (position := first_unanswered(questionnaire, answers)) is not None:
        seen.append(progress(questionnaire, answers, position))
        answers[position] = {"q1": "no", "q4": "b"}.get(position, "fine")
    assert seen == [(1, 9), (2, 6), (3, 3)]  # q1; q4 (q2, q3, q7 out); then only q9


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), qid=st.sampled_from(["cips-officials", "cips-private-sector"]))
def test_the_progress_people_see_never_goes_back(data, qid, sqlite_template, tmp_path):
    """Through the engine, random answers to the built-in questionnaires: every question card
    shows n of N with n one more than the last card's, N never more, and n == N on the last."""
    path = tmp_path / f"p{next(_numbers)}.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    questionnaires = load_questionnaires()
    with db.transaction() as session:
        admin = create_administration(session, "XX", "X", "UTC", ["en"])
        create_campaign(session, admin, questionnaires[qid], "1", code="built-in")
    engine = ConversationEngine(db, questionnaires, TEST_SECRET, languages=lambda: ["en"])
    from tests.engine_driver import Respondent as Person

    person = Person(engine, USER_ID)
    person.command("start", "built-in")
    intro = person.prompt.parts[0]
    person.press("Yes, I agree")
    seen: dict[str, tuple[int, int]] = {}
    while person.replies[-1].kind is ReplyKind.QUESTION:
        card = person.replies[-1]
        assert seen.get(card.question_id, card.progress) == card.progress
        seen[card.question_id] = card.progress
        question = questionnaires[qid].question(card.question_id)
        value = _value(data.draw, question)
        if value == SKIPPED:
            person.press("Skip")
        elif question.type is QuestionType.MULTIPLE_CHOICE:
            for code in value.split(";"):
                person.press(code)
            person.press("Done")
        elif question.codes:
            person.press(value)
        else:
            person.type(value)
    assert "Thank you!" in person.text()
    _progress_holds(list(seen.values()))
    assert intro.args["count"] == next(iter(seen.values()))[1], "the intro says the same total"
    db.dispose()

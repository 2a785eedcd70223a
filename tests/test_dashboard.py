"""The dashboard figures: exact against the database, suppressed as SCORING.md says."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey import daily, sealing
from survey.campaign_editing import add_source
from survey.campaigns import create_administration, create_campaign
from survey.dashboard import campaign_dashboard, funnel, margin_of_error, responses_needed
from survey.engine import ConversationEngine
from survey.loader import load_questionnaire, load_questionnaires
from survey.storage.models import Answer, Campaign, Respondent, RespondentStatus
from survey.suppression import suppress
from tests.conftest import TEST_SECRET
from tests.engine_driver import Respondent as Person

DASH = """
id = "dash"
version = "1"
survey = "other"
title = "Dashboard test survey"
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
text = "Rules are clear"

[[items]]
id = "a2"
type = "agreement"
factor = 2
text = "Officers are fair"

[[items]]
id = "a3"
type = "agreement"
factor = 3
text = "Fees are published"

[[items]]
id = "asked"
type = "single_choice"
text = "Were you asked for a payment?"
choices = [{ code = "yes", label = "Yes" }, { code = "no", label = "No" }]

[[items]]
id = "reported"
type = "single_choice"
text = "Did you report it?"
show_if = { question = "asked", in = ["yes"] }
choices = [{ code = "yes", label = "Yes" }, { code = "no", label = "No" }]

[[items]]
id = "a4"
type = "agreement"
factor = 4
text = "Complaints are followed up"
"""


def test_suppress_hides_small_cells_and_one_complement():
    assert suppress({"en": 40, "fr": 12, "ar": 0}, 10) == {"en": 40, "fr": 12, "ar": 0}
    # One small cell: the smallest non-empty other cell goes too, so the total reveals nothing;
    # the empty one stays a shown zero (hiding it would leave "ar" derivable from the total).
    assert suppress({"en": 40, "fr": 12, "ar": 3, "pt": 0}, 10) == {
        "en": 40, "fr": None, "ar": None, "pt": 0,
    }  # fmt: skip
    assert suppress({"en": 40, "fr": 12, "ar": 3}, 10) == {"en": 40, "fr": None, "ar": None}
    # Two small cells protect each other.
    assert suppress({"en": 40, "fr": 2, "ar": 3}, 10) == {"en": 40, "fr": None, "ar": None}
    assert suppress({"en": 9}, 10) == {"en": None}
    assert suppress({}, 10) == {}


def test_margin_of_error_and_sample_size_known_values():
    # 400 answers from a very large population: the textbook +/-4.9 points.
    assert margin_of_error(400, None) == pytest.approx(4.8999, abs=1e-3)
    # The finite population correction: 278 of 1,000 give +/-5 points (the classic table).
    assert margin_of_error(278, 1000) == pytest.approx(4.99, abs=0.01)
    assert responses_needed(5, None) == 385
    assert responses_needed(5, 1000) == 278
    assert responses_needed(3, 500) == 341
    assert margin_of_error(500, 500) == 0.0
    assert margin_of_error(0, 500) is None


@settings(max_examples=300, deadline=None)
@given(
    left=st.lists(st.integers(min_value=0, max_value=25), min_size=1, max_size=14),
    completed=st.integers(min_value=0, max_value=60),
    k=st.integers(min_value=5, max_value=10),
)
def test_funnel_never_lets_a_suppressed_cell_be_worked_out(left, completed, k):
    questions = [f"q{i}" for i in range(len(left))]
    rows = funnel(questions, dict(zip(questions, left, strict=True)), completed, k)
    truth = [completed + sum(left[i:]) for i in range(len(left))]
    hidden = [row.left_off is None for row in rows]
    assert hidden == [
        v is None for v in suppress(dict(zip(questions, left, strict=True)), k).values()
    ]
    for row, value, true_reached in zip(rows, left, truth, strict=True):
        assert row.left_off in (None, value)
        assert row.reached in (None, true_reached)
    # "Got this far" is a group like any cell: never shown with 1..k-1 in it. Everyone who
    # started is shown once k have.
    assert all(row.reached in (None, 0) or row.reached >= k for row in rows)
    assert rows[0].reached == (truth[0] if truth[0] == 0 or truth[0] >= k else None)
    # Known values: every shown "got this far", and the completed at the end. Between two known
    # values the left-off cells add up to their difference: never exactly one hidden cell there.
    # (Unless everyone who left off did so at one question: that cell is the total of those
    # who did not finish, which the totals show exactly; no other cell is non-empty, and an
    # empty one is never hidden, so there is nothing to hide it among.)
    known = [i for i, row in enumerate(rows) if row.reached is not None] + [len(rows)]
    alone = sum(n > 0 for n in left) == 1
    for start, end in itertools.pairwise(known):
        assert sum(hidden[start:end]) != 1 or alone, (left, completed, k, rows)


def test_funnel_at_low_counts_shows_no_group_below_k():
    """Six started (k = 10): five completed, one stopped at the second question. No "got this
    far" of 6 or 5 between hidden cells, the first question's neither."""
    questions = [f"q{i}" for i in range(25)]
    rows = funnel(questions, {"q1": 1}, 5, 10)
    assert [row.reached for row in rows] == [None] * 25
    assert all(row.suppressed for row in rows)
    # Once k have started, the values of k or more are shown, those below are not: the last
    # two questions were reached by the five who completed, a group too small to show.
    rows = funnel(questions, {"q1": 3, "q2": 4, "q22": 12}, 5, 10)
    assert [row.reached for row in rows] == [24, 24, None] + [17] * 20 + [None, None]


@pytest.fixture
def dash(db, tmp_path):
    """A campaign on a small questionnaire with skip logic, and an engine at a fixed day."""
    path = tmp_path / "dash.toml"
    path.write_text(DASH)
    questionnaires = load_questionnaires() | {"dash": load_questionnaire(path)}
    with db.transaction() as session:
        admin = create_administration(session, "CI", "Douanes", "Africa/Abidjan", ["en", "fr"])
        campaign = create_campaign(
            session, admin, questionnaires["dash"], "2026", code="dash", target=200
        )
        campaign.target_margin = 5.0
        add_source(session, campaign, "port", "Port poster")
    clock = {"now": dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)}
    engine = ConversationEngine(db, questionnaires, TEST_SECRET, clock=lambda: clock["now"],
                                languages=lambda: ["en", "fr"])  # fmt: skip
    return engine, questionnaires["dash"], clock


def figures(db, questionnaire, k=5, now=None):
    """The dashboard in the JSON API's shape (the typed object is read by the page's tests)."""
    with db.transaction() as session:
        campaign = session.query(Campaign).filter_by(code="dash").one()
        return campaign_dashboard(session, campaign, questionnaire, min_cell=k,
                                  now=now or dt.datetime(2026, 11, 4, 12, tzinfo=dt.UTC)).as_json()  # fmt: skip


def test_figures_match_the_database_exactly(db, dash):
    engine, questionnaire, clock = dash
    # Day 1: six people from the port poster, in English, answer everything.
    for number in range(6):
        person = Person(engine, f"port-{number}", language_hint="en")
        person.command("start", "dash__port")
        person.press("Yes, I agree")
        person.answer_everything()
    # Day 2: three French speakers from the plain link answer two questions and stop; two more
    # from the port are still answering the third item.
    clock["now"] += dt.timedelta(days=1)
    for number in range(3):
        person = Person(engine, f"fr-{number}", language_hint="fr")
        person.command("start", "dash")
        person.press("yes")
        person.press("broker")
        person.press("4")
        person.command("stop")
        person.press("stop:yes")
    for number in range(2):
        person = Person(engine, f"slow-{number}", language_hint="en")
        person.command("start", "dash__port")
        person.press("Yes, I agree")
        person.press("carrier")
        person.press("3")
        person.press("5")
        assert person.question == "a3"
    # Day 3: twenty responses that came in through a channel no longer listed.
    day3 = dt.date(2026, 11, 4)
    with db.transaction() as session:
        campaign = session.query(Campaign).filter_by(code="dash").one()
        session.add_all(
            Respondent(campaign_id=campaign.id, language="en", status=RespondentStatus.COMPLETED,
                       source_tag="brokers", started_on=day3, updated_on=day3, completed_on=day3)
            for _ in range(20)
        )  # fmt: skip
        daily.count(session, campaign.id, day3, started=20, completed=20)  # as the engine does

    shown = figures(db, questionnaire)
    assert shown["totals"] == {
        "started": 31, "in_progress": 2, "completed": 26, "withdrawn": 3, "awaiting_seal": 29,
        "completion_rate": 83.9, "target_population": 200, "response_rate": 13.0,
    }  # fmt: skip
    # Sealing moves the 29 finished responses out of reach and changes no figure.
    assert sealing.seal_ready(db, 10) == 29
    sealed = figures(db, questionnaire)
    assert sealed["totals"] == {**shown["totals"], "awaiting_seal": 0}
    shown = sealed
    assert {key: value for key, value in sealed.items() if key != "totals"} == {
        key: value for key, value in shown.items() if key != "totals"
    }
    expected_margin = 100 * 1.959964 * math.sqrt(0.25 / 26) * math.sqrt((200 - 26) / 199)
    assert shown["precision"]["margin_of_error"] == round(expected_margin, 2)
    assert shown["precision"]["completed_needed"] == 132
    assert shown["precision"]["target_met"] is False
    assert shown["per_day"] == [
        {"date": "2026-11-02", "started": 6, "completed": 6, "suppressed": False, "days": 1},
        {"date": "2026-11-03", "started": 5, "completed": 0, "suppressed": False, "days": 1},
        {"date": "2026-11-04", "started": 20, "completed": 20, "suppressed": False, "days": 1},
    ]
    # French (3) is too small, and English goes with it: otherwise 31 - 28 gives French away.
    assert [(r["language"], r["started"], r["completed"]) for r in shown["by_language"]] == [
        ("en", None, None), ("fr", None, None),
    ]  # fmt: skip
    # The plain link (3) is too small; the next smallest (the port, 8) is hidden with it.
    assert [(r["source"], r["started"], r["completed"], r["completion_rate"])
            for r in shown["by_source"]] == [
        ("", None, None, None), ("port", None, None, None), ("brokers", 20, 20, 100.0),
    ]  # fmt: skip
    # Where people left off: 3 withdrew after a1 (so at a2), 2 are at a3; both too small.
    by_question = {r["question_id"]: r for r in shown["funnel"]}
    assert [r["question_id"] for r in shown["funnel"]] == [q.id for q in questionnaire.questions]
    assert (by_question["a2"]["left_off"], by_question["a3"]["left_off"]) == (None, None)
    assert by_question["a1"]["left_off"] == 0 and by_question["a4"]["left_off"] == 0
    assert [r["reached"] for r in shown["funnel"]] == [31, 31, 31, None, 26, 26, 26]
    assert shown["reminders"] is None

    # With k = 10 nothing changes in the totals, but the French (3) and port (8) groups stay hidden.
    strict = figures(db, questionnaire, k=10)
    assert strict["totals"] == shown["totals"]
    # Day by day, started 6 and 5 would hide each other; by two days (counted back from the last,
    # the day left over joining the first group) the three days make one group of 31.
    assert [(d["date"], d["days"], d["started"], d["completed"]) for d in strict["per_day"]] == [
        ("2026-11-02", 3, 31, 26),
    ]  # fmt: skip
    assert [d["suppressed"] for d in strict["per_day"]] == [False]


def test_exact_when_every_group_is_large(db, dash):
    _, questionnaire, _ = dash
    day = dt.date(2026, 11, 2)
    with db.transaction() as session:
        campaign = session.query(Campaign).filter_by(code="dash").one()
        rows = [("en", "port", RespondentStatus.COMPLETED, None)] * 12 + [
            ("fr", None, RespondentStatus.COMPLETED, None)] * 10 + [
            ("fr", None, RespondentStatus.IN_PROGRESS, "a3")] * 6 + [
            ("en", "port", RespondentStatus.IN_PROGRESS, "a3")] * 5  # fmt: skip
        session.add_all(
            Respondent(campaign_id=campaign.id, language=language, source_tag=tag, status=status,
                       position=position, started_on=day, updated_on=day,
                       completed_on=day if status == RespondentStatus.COMPLETED else None)
            for language, tag, status, position in rows
        )  # fmt: skip
    shown = figures(db, questionnaire, k=5)
    assert [(r["language"], r["started"], r["completed"], r["completion_rate"])
            for r in shown["by_language"]] == [("en", 17, 12, 70.6), ("fr", 16, 10, 62.5)]  # fmt: skip
    assert [(r["source"], r["started"], r["completed"]) for r in shown["by_source"]] == [
        ("", 16, 10),
        ("port", 17, 12),
    ]
    assert {r["question_id"]: r["left_off"] for r in shown["funnel"]}["a3"] == 11
    assert [r["reached"] for r in shown["funnel"]] == [33, 33, 33, 33, 22, 22, 22]


def test_an_empty_campaign(db, dash):
    _, questionnaire, _ = dash
    shown = figures(db, questionnaire)
    assert shown["totals"]["started"] == 0 and shown["totals"]["completion_rate"] is None
    assert shown["per_day"] == [] and shown["precision"]["margin_of_error"] is None
    assert all(r["reached"] == 0 for r in shown["funnel"])


def test_withdrawn_respondents_counted_where_they_stopped(db, dash):
    """A withdrawn respondent with a position left off there; one without, after their answers."""
    _, questionnaire, _ = dash
    day = dt.date(2026, 11, 2)
    with db.transaction() as session:
        campaign = session.query(Campaign).filter_by(code="dash").one()
        kept = [Respondent(campaign_id=campaign.id, language="en", position="a2", started_on=day,
                           updated_on=day, status=RespondentStatus.WITHDRAWN) for _ in range(6)]  # fmt: skip
        cleared = [Respondent(campaign_id=campaign.id, language="en", position=None, started_on=day,
                              updated_on=day, status=RespondentStatus.WITHDRAWN) for _ in range(5)]  # fmt: skip
        session.add_all(kept + cleared)
        session.flush()
        session.add_all(
            Answer(respondent_id=r.id, question_id=q, value="3")
            for r in cleared
            for q in ("role", "a1", "a2", "a3")
        )
    left = {r["question_id"]: r["left_off"] for r in figures(db, questionnaire)["funnel"]}
    assert (left["a2"], left["asked"]) == (6, 5)
    assert sum(left.values()) == 11

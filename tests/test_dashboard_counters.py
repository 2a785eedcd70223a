"""The dashboard's counters (migration 0008): always equal to a recount of the rows.

People answer at the same time on parallel connections (start from a channel or the plain
link, change language, go back, stop, delete, finish) while the clock seals batches; then the
campaign closes. After each phase the counters, and the dashboard that reads them, equal what a
count of the respondent and sealed-response rows gives. The migration fills the counters of a
database that had responses before it.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from survey import sealing
from survey.campaign_editing import add_source, close_now
from survey.campaigns import (
    CampaignFigures,
    campaign_figures,
    create_administration,
    create_campaign,
)
from survey.dashboard import campaign_dashboard
from survey.engine import ConversationEngine, ReplyKind
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.migrate import upgrade
from survey.storage.models import Campaign
from tests.conftest import TEST_SECRET
from tests.engine_driver import Respondent as Person

QUESTIONNAIRE = "cips-private-sector"


def recount(db: Database, campaign_id: int) -> tuple[Counter, Counter]:
    """(participation, left off) counted from the rows, keyed like the counters."""
    participation: Counter = Counter()
    left_off: Counter = Counter()
    with db.engine.connect() as connection:
        for table, sealed in (("respondents", 0), ("sealed_responses", 1)):
            for status, language, source, position in connection.execute(
                text(f"SELECT status, language, source_tag, position FROM {table} "
                     "WHERE campaign_id = :c"), {"c": campaign_id}
            ):  # fmt: skip
                participation[(sealed, status, language, source or "")] += 1
                if status != "completed":
                    left_off[position or ""] += 1
    return participation, left_off


def counters(db: Database, campaign_id: int) -> tuple[Counter, Counter]:
    with db.engine.connect() as connection:
        participation = Counter({
            (sealed, status, language, source): n
            for sealed, status, language, source, n in connection.execute(
                text("SELECT sealed, status, language, source_tag, n FROM participation_counts "
                     "WHERE campaign_id = :c AND n <> 0"), {"c": campaign_id})
        })  # fmt: skip
        left_off = Counter(dict(connection.execute(
            text("SELECT position, n FROM left_off_counts WHERE campaign_id = :c AND n <> 0"),
            {"c": campaign_id}).all()))  # fmt: skip
    return participation, left_off


def assert_dashboard_is_the_recount(db: Database, campaign_id: int) -> None:
    participation, left_off = recount(db, campaign_id)
    assert counters(db, campaign_id) == (participation, left_off)
    questionnaire = load_questionnaires()[QUESTIONNAIRE]
    with db.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        shown = campaign_dashboard(session, campaign, questionnaire, min_cell=1)  # k = 1: all shown
        listed = campaign_figures(session, campaign)  # the campaign list, the API, the CLI
    status = Counter()
    language, language_done, source, source_done = Counter(), Counter(), Counter(), Counter()
    for (_, state, lang, tag), n in participation.items():
        state = "in_progress" if state == "cut_off" else state
        status[state] += n
        language[lang] += n
        source[tag] += n
        if state == "completed":
            language_done[lang] += n
            source_done[tag] += n
    awaiting = sum(n for (sealed, state, _, _), n in participation.items()
                   if not sealed and state in ("completed", "withdrawn"))  # fmt: skip
    totals = shown.totals
    assert (totals.started, totals.in_progress, totals.completed, totals.withdrawn,
            totals.awaiting_seal) == (sum(status.values()), status["in_progress"],
                                      status["completed"], status["withdrawn"], awaiting)  # fmt: skip
    assert listed == CampaignFigures(totals.started, totals.completed, totals.withdrawn, awaiting)
    assert {r.key: (r.started, r.completed) for r in shown.by_language if r.started} == {
        key: (n, language_done[key]) for key, n in language.items()
    }
    assert {r.key: (r.started, r.completed) for r in shown.by_source if r.started} == {
        key: (n, source_done[key]) for key, n in source.items()
    }
    assert {r.question_id: r.left_off for r in shown.funnel if r.left_off} == dict(left_off)


def walk(engine: ConversationEngine, number: int) -> None:
    """One person's random way through the survey (seeded by their number)."""
    rng = random.Random(number)
    person = Person(engine, f"person-{number}", language_hint=rng.choice(["en", "fr"]))
    person.command("start", rng.choice(["mix", "mix__port", "mix__brokers"]))
    if person.prompt.kind is ReplyKind.LANGUAGE_MENU:
        person.press(rng.choice(["en", "fr"]))
    person.press("Yes, I agree")
    for _ in range(rng.randrange(1, 60)):
        prompt = person.prompt
        if prompt.kind is not ReplyKind.QUESTION or person.replies[-1].kind is ReplyKind.INFO:
            return  # finished
        draw = rng.random()
        if draw < 0.08:
            person.command("language")
            person.press(rng.choice(["en", "fr"]))
        elif draw < 0.15:
            person.command("back")
        elif draw < 0.18:
            person.command("stop")
            person.press("stop:yes")
            return
        elif draw < 0.2:
            person.command("delete")
            person.press("delete:yes")
            return
        else:
            answerable = [b for b in prompt.buttons if b.row != "nav"]
            if not answerable:
                person.type("3")
            else:
                button = rng.choice(answerable)
                person.press(button.value)
                if button.action == "t":
                    person.press("Done")
    if rng.random() < 0.5:
        person.answer_everything()


def test_counters_equal_a_recount_after_a_mixed_concurrent_run(database_url):
    questionnaires = load_questionnaires()
    db = Database(database_url)
    with db.transaction() as session:
        admin = create_administration(session, "CI", "Douanes", "UTC", ["en", "fr"])
        campaign = create_campaign(session, admin, questionnaires[QUESTIONNAIRE], "2026",
                                   code="mix", target=500)  # fmt: skip
        add_source(session, campaign, "port", "Port")
        campaign_id = campaign.id
    engines = [ConversationEngine(Database(database_url), questionnaires, TEST_SECRET,
                                  languages=lambda: ["en", "fr"]) for _ in range(4)]  # fmt: skip
    done = threading.Event()

    def seal_meanwhile() -> int:
        sealed = 0
        while not done.is_set():
            sealed += sealing.seal_ready(db, 3, and_wipe=False)
        return sealed

    with ThreadPoolExecutor(5) as pool:
        sealer = pool.submit(seal_meanwhile)
        people = [pool.submit(walk, engines[n % 4], n) for n in range(40)]
        for person in people:
            person.result()
        done.set()
        assert sealer.result() > 0, "sealing ran during the answers"
    participation = recount(db, campaign_id)[0]
    statuses = {(sealed, status) for sealed, status, _, _ in participation}
    assert {(0, "in_progress"), (1, "completed"), (1, "withdrawn")} <= statuses, statuses
    assert len({language for _, _, language, _ in participation}) == 2
    assert len({source for *_, source in participation}) == 3
    assert_dashboard_is_the_recount(db, campaign_id)

    with db.transaction() as session:  # the close seals what is under way as cut off
        close_now(session, session.get(Campaign, campaign_id), dt.datetime.now(dt.UTC), 3)
    assert {status for _, status, _, _ in recount(db, campaign_id)[0]} >= {"cut_off"}
    assert_dashboard_is_the_recount(db, campaign_id)
    for engine in engines:
        engine.db.dispose()
    db.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_fills_the_counters_of_an_existing_database(backend, tmp_path, request):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("empty_postgres_url")
    upgrade(url, "0008_dashboard_counters-1")
    db = Database(url)
    rows = [("completed", "en", None, None), ("completed", "fr", "port", None),
            ("in_progress", "en", "port", "q2"), ("in_progress", "en", "port", "q2"),
            ("withdrawn", "fr", None, "q5"), ("withdrawn", "fr", None, None)]  # fmt: skip
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO administrations (code, name, timezone, languages, "
                                "created_at) VALUES ('A', 'A', 'UTC', 'en,fr', '2026-11-01')"))  # fmt: skip
        connection.execute(text(
            "INSERT INTO campaigns (code, administration_id, questionnaire_id, "
            "questionnaire_version, wave, remind_after_s, remind_every_s, max_reminders, "
            "quiet_start_hour, quiet_end_hour, created_at) SELECT 'old', id, 'q', '1', '1', 1, "
            "1, 1, 20, 8, '2026-11-01' FROM administrations"))  # fmt: skip
        campaign_id = connection.execute(text("SELECT id FROM campaigns")).scalar_one()
        for number, (status, language, tag, position) in enumerate(rows):
            connection.execute(text(
                "INSERT INTO respondents (id, campaign_id, language, status, position, "
                "source_tag, started_on, updated_on) VALUES (:id, :c, :l, :s, :p, :t, "
                "'2026-11-02', '2026-11-02')"), {"id": f"r{number}", "c": campaign_id,
                "l": language, "s": status, "p": position, "t": tag})  # fmt: skip
            connection.execute(text(
                "INSERT INTO sealed_responses (id, campaign_id, batch, language, status, "
                "position, source_tag) VALUES (:id, :c, 1, :l, :s, :p, :t)"),
                {"id": f"s{number}", "c": campaign_id, "l": language,
                 "s": "cut_off" if status == "in_progress" else status, "p": position, "t": tag})  # fmt: skip
    upgrade(url)
    expected = recount(db, campaign_id)
    assert expected[0][(0, "in_progress", "en", "port")] == 2
    assert expected[1] == Counter({"q2": 4, "q5": 2, "": 2})
    assert counters(db, campaign_id) == expected
    # And the triggers keep them from now on.
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE respondents SET position = 'q3' WHERE id = 'r2'"))
        connection.execute(text("DELETE FROM respondents WHERE id = 'r0'"))
    assert counters(db, campaign_id) == recount(db, campaign_id)
    db.dispose()


def test_reminder_counters_equal_the_reminder_rows(db):
    """Reminders sent and answered again per day: the counters equal the rows' sums as reminders
    are sent, answered again, moved and deleted."""
    from survey.reminders import reminder_figures

    with db.transaction() as session:
        admin = create_administration(session, "CI", "Douanes", "UTC", ["en"])
        campaign = create_campaign(session, admin, load_questionnaires()[QUESTIONNAIRE], "2026")
        campaign_id = campaign.id
    days = [dt.date(2026, 11, 2), dt.date(2026, 11, 3)]
    with db.engine.begin() as connection:
        for number in range(30):
            connection.execute(
                text("INSERT INTO reminders_sent (campaign_id, sent_on, answered_again) "
                     "VALUES (:c, :d, :a)"),
                {"c": campaign_id, "d": days[number % 2], "a": number % 3 == 0},
            )  # fmt: skip
        connection.execute(text("UPDATE reminders_sent SET answered_again = :t WHERE id % 4 = 0"),
                           {"t": True})  # fmt: skip
        connection.execute(text("UPDATE reminders_sent SET sent_on = :d WHERE id % 5 = 0"),
                           {"d": dt.date(2026, 11, 4)})  # fmt: skip
        connection.execute(text("DELETE FROM reminders_sent WHERE id % 7 = 0"))
    with db.transaction() as session:
        rows = [(d.day, d.sent, d.answered_again) for d in reminder_figures(session, campaign_id)]
        shown = campaign_dashboard(session, session.get(Campaign, campaign_id),
                                   load_questionnaires()[QUESTIONNAIRE], min_cell=1).reminders  # fmt: skip
    assert len(rows) == 3 and sum(sent for _, sent, _ in rows) == 26
    assert [(d.day, d.sent, d.answered_again) for d in shown.per_day] == rows
    assert (shown.sent, shown.answered_again) == (26, sum(again for *_, again in rows))

"""Reminders with a controlled clock: every rule, the figures, closing, and two clocks at once."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
import time_machine
from sqlalchemy import func, select

from survey.campaigns import ReminderPolicy, create_administration, create_campaign
from survey.dashboard import ReminderDay, campaign_dashboard
from survey.engine import ConversationEngine
from survey.engine.replies import reply_from_data
from survey.i18n import render
from survey.loader import load_questionnaires
from survey.reminders import QUIET_SPREAD, reminder_figures, reminder_plan
from survey.storage.models import Campaign, Contact, Outbox, ReminderSent
from tests.cli_support import run_cips
from tests.conftest import TEST_SECRET
from tests.engine_driver import ControlledClock, Respondent
from web.clock import Clock

HOUR = dt.timedelta(hours=1)
# 10:00 in Nairobi (UTC+3): reminders fall at 10:00 local unless quiet hours move them.
START = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
POLICY = ReminderPolicy(
    remind_after_s=24 * 3600,
    remind_every_s=48 * 3600,
    max_reminders=3,
    quiet_hours=(20, 8),
    last_call_before_s=None,
)


@pytest.fixture
def now():
    return ControlledClock(START)


@pytest.fixture
def world(db, now):
    questionnaires = load_questionnaires()

    def make(policy: ReminderPolicy = POLICY, closes_at: dt.datetime | None = None):
        with db.transaction() as session:
            admin = create_administration(session, "KE", "Customs", "Africa/Nairobi", ["en", "fr"])
            create_campaign(session, admin, questionnaires["cips-officials"], "2026",
                            code="off", policy=policy, closes_at=closes_at, now=now.now)  # fmt: skip
        engine = ConversationEngine(db, questionnaires, TEST_SECRET, clock=now,
                                    languages=lambda: ["en", "fr"])  # fmt: skip
        return engine, Clock(db, questionnaires, clock=now)

    return make


def started(engine: ConversationEngine, user: str, answers: int, language: str = "en"):
    person = Respondent(engine, user, language)
    person.command("start", "off")
    person.press("Yes, I agree")
    for _ in range(answers):
        person.press(person.prompt.buttons[0].value)
    return person


def reminders_in_outbox(db) -> list[str]:
    """The reminders waiting, as their English (or own language) text."""
    with db.transaction() as session:
        payloads = session.scalars(
            select(Outbox.payload).where(Outbox.kind == "reminder").order_by(Outbox.id)
        ).all()
    texts = []
    for payload in payloads:
        reply = reply_from_data(payload["reply"])
        texts.append("\n".join(render(p, reply.language) for p in reply.parts))
    return texts


def test_first_after_a_day_then_every_two_days_at_most_three(world, db, now):
    engine, clock = world()
    person = started(engine, "1", answers=3)
    now.now = START + 24 * HOUR - dt.timedelta(minutes=1)
    assert clock.send_reminders() == 0
    now.now = START + 24 * HOUR
    assert clock.send_reminders() == 1
    assert clock.send_reminders() == 0  # a second run at the same time repeats nothing
    [text] = reminders_in_outbox(db)
    assert re.search(r"You have answered 3 of 5\d questions", text)
    # The figures of the question card waiting for them: the same total in every channel.
    assert person.prompt.progress[0] == 4
    assert f"You have answered 3 of {person.prompt.progress[1]} questions" in text
    now.now += 47 * HOUR
    assert clock.send_reminders() == 0
    now.now += HOUR
    assert clock.send_reminders() == 1
    now.now += 48 * HOUR
    assert clock.send_reminders() == 1
    now.now += 480 * HOUR
    assert clock.send_reminders() == 0  # never past the maximum
    assert len(reminders_in_outbox(db)) == 3


def test_never_in_quiet_hours_and_spread_after_them(world, db, now):
    """Forty people stop at 22:00: their reminders fall in the quiet hours of the next night,
    and go out after 08:00, spread over the two hours that follow rather than all at once."""
    engine, clock = world()
    now.now = START + 12 * HOUR  # 22:00 in Nairobi
    for number in range(40):
        started(engine, str(number), answers=2)
    now.now = START + 36 * HOUR  # 22:00 the next evening: quiet
    assert clock.send_reminders() == 0
    wake = START + 46 * HOUR  # 08:00 local, the end of the quiet hours
    now.now = wake - dt.timedelta(minutes=1)
    assert clock.send_reminders() == 0
    with db.transaction() as session:
        due = sorted(session.scalars(select(Contact.next_reminder_at)))
    assert wake <= due[0] and due[-1] < wake + QUIET_SPREAD
    busiest = max(sum(1 for t in due if start <= t < start + dt.timedelta(minutes=10))
                  for start in due)  # fmt: skip
    assert busiest <= 12, "bunched: the most in any ten minutes"  # about 3 expected
    now.now = wake + QUIET_SPREAD
    assert clock.send_reminders() == 40


def test_answering_again_moves_the_reminder_and_counts_in_the_figures(world, db, now):
    engine, clock = world()
    person = started(engine, "1", answers=2)
    now.now = START + 24 * HOUR
    assert clock.send_reminders() == 1
    now.now += 2 * HOUR
    person.press(person.prompt.buttons[0].value)  # came back within 24 h
    with db.transaction() as session:
        [contact] = session.scalars(select(Contact)).all()
        assert contact.next_reminder_at == now.now + 24 * HOUR
        campaign_id = contact.campaign_id
    now.now += 24 * HOUR
    assert clock.send_reminders() == 1  # idle again for a day: the second
    with db.transaction() as session:
        figures = reminder_figures(session, campaign_id)
    assert [(d.sent, d.answered_again) for d in figures] == [(1, 1), (1, 0)]
    assert [d.day for d in figures] == [dt.date(2026, 11, 3), dt.date(2026, 11, 4)]


def test_none_to_the_finished_the_stopped_the_deleted_or_the_unreachable(world, db, now):
    engine, clock = world()
    done = started(engine, "done", answers=0)
    done.answer_everything()
    stopped = started(engine, "stopped", answers=2)
    stopped.command("stop")
    stopped.press("Yes, stop")
    deleted = started(engine, "deleted", answers=2)
    deleted.command("delete")
    deleted.press("Yes, delete")
    started(engine, "blocked", answers=2)
    with db.transaction() as session:
        session.execute(Contact.__table__.update().values(unreachable=True))
    started(engine, "idle", answers=1)
    now.now = START + 30 * 24 * HOUR
    assert clock.send_reminders() == 1
    [text] = reminders_in_outbox(db)
    assert "answered 1 of" in text


def test_the_last_call_before_closing_even_past_the_maximum(world, db, now):
    closes = START + 10 * 24 * HOUR
    policy = ReminderPolicy(24 * 3600, 48 * 3600, 1, (20, 8), 24 * 3600)
    engine, clock = world(policy, closes_at=closes)
    started(engine, "1", answers=4, language="fr")
    now.now = START + 24 * HOUR
    assert clock.send_reminders() == 1
    now.now = closes - 24 * HOUR - dt.timedelta(minutes=1)
    assert clock.send_reminders() == 0
    now.now = closes - 24 * HOUR
    assert clock.send_reminders() == 1
    now.now = closes - HOUR
    assert clock.send_reminders() == 0
    last = reminders_in_outbox(db)[-1]
    assert "L'enquête se termine dans environ 24 heures" in last
    assert re.search(r"répondu à 4 questions sur 5\d", last)


def test_closing_on_time_erases_the_contacts_and_their_reminders(world, db, now):
    closes = START + 3 * 24 * HOUR
    engine, clock = world(closes_at=closes)
    started(engine, "1", answers=2)
    now.now = START + 24 * HOUR
    assert clock.send_reminders() == 1
    assert clock.close_campaigns() == []
    now.now = closes
    assert clock.close_campaigns() == ["off"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 0
        assert session.scalar(select(func.count()).select_from(Outbox)) == 0
        assert session.scalar(select(Campaign.closed_at)) == closes
    now.now += 100 * 24 * HOUR
    assert clock.send_reminders() == 0


def test_a_policy_change_reschedules_everyone_in_progress(world, db, now, monkeypatch):
    engine, _ = world()
    started(engine, "1", answers=2)
    monkeypatch.setenv("DATABASE_URL", db.url)
    run_cips("campaign", "update", "off", "--remind-after", "2h", "--quiet-hours", "00-00")
    with db.transaction() as session:
        assert session.scalar(select(Contact.next_reminder_at)) == START + 2 * HOUR
    result = run_cips("reminders", "preview", "--campaign", "off")
    assert "off: 1 due now" in result.output  # START is long past on the real clock
    assert reminders_in_outbox(db) == []  # a preview sends nothing


def test_the_cli_preview_prints_the_plan_of_the_campaign_page(world, db, now, monkeypatch):
    """One person idle since START, a reminder every hour (three at most): at START + 30 min,
    the first is planned at +1 h and two more follow. The page plays every remaining reminder
    forward (reminder_plan); `cips reminders preview` prints the same plan, not only each
    contact's next one."""
    policy = ReminderPolicy(remind_after_s=3600, remind_every_s=3600, max_reminders=3,
                            quiet_hours=(0, 0), last_call_before_s=None)  # fmt: skip
    engine, _ = world(policy)
    started(engine, "1", answers=2)
    monkeypatch.setenv("DATABASE_URL", db.url)
    at = START + HOUR / 2
    with time_machine.travel(at, tick=False):
        output = run_cips("reminders", "preview", "--campaign", "off").output
    with db.transaction() as session:
        plan = reminder_plan(session, session.scalar(select(Campaign)), at)
    assert [(r.hour.strftime("%Y-%m-%d %H:00"), r.count, r.rule) for r in plan] == [
        ("2026-11-02 11:00", 1, "first"), ("2026-11-02 12:00", 1, "repeat"),
        ("2026-11-02 13:00", 1, "repeat"),
    ]  # fmt: skip
    assert output.splitlines() == [
        "off: 0 due now, 3 planned for the next seven days (if nobody in progress answers "
        "meanwhile)",
        "  2026-11-02 11:00-12:00 Africa/Nairobi        1  first reminder",
        "  2026-11-02 12:00-13:00 Africa/Nairobi        1  again",
        "  2026-11-02 13:00-14:00 Africa/Nairobi        1  again",
    ]


def test_two_clocks_at_once_never_send_the_same_reminder_twice(world, db, now):
    engine, _ = world()
    people = 60
    for i in range(people):
        started(engine, f"p{i}", answers=1)
    now.now = START + 30 * 24 * HOUR
    questionnaires = load_questionnaires()
    clocks = [Clock(db, questionnaires, clock=now) for _ in range(2)]
    barrier = threading.Barrier(2)
    sent = [0, 0]

    def run(i: int) -> None:
        barrier.wait()
        for _ in range(5):
            sent[i] += clocks[i].send_reminders()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent) == people
    with db.transaction() as session:
        per_contact = session.execute(
            select(Outbox.contact_id, func.count()).group_by(Outbox.contact_id)
        ).all()
        assert len(per_contact) == people and {n for _, n in per_contact} == {1}
        assert session.scalar(select(func.count()).select_from(ReminderSent)) == people


def test_the_dashboard_shows_the_reminder_figures_with_small_cells_hidden(world, db, now):
    engine, clock = world()
    people = [started(engine, f"p{i}", answers=1) for i in range(12)]
    now.now = START + 24 * HOUR
    assert clock.send_reminders() == 12
    now.now += HOUR
    for person in people[:10]:  # ten answer again within the day
        person.press(person.prompt.buttons[0].value)
    with db.transaction() as session:
        campaign = session.scalar(select(Campaign))
        questionnaire = load_questionnaires()[campaign.questionnaire_id]
        figures = campaign_dashboard(session, campaign, questionnaire, min_cell=10, now=now.now)
        assert figures.reminders.per_day == (ReminderDay(dt.date(2026, 11, 3), 12, 10),)
        small = campaign_dashboard(session, campaign, questionnaire, min_cell=11, now=now.now)
        assert small.reminders.per_day[0].answered_again is None

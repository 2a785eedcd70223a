"""Reminders end to end: the clock and the bot as processes, respondents on the fake Telegram."""

from __future__ import annotations

import time

from sqlalchemy import select

from survey.campaigns import ReminderPolicy
from survey.storage import Database
from survey.storage.models import ReminderSent
from tests.bot_harness import BotProcess, ClockProcess, Participant, prepare_database
from tests.fake_telegram import FakeTelegram
from tests.test_bot_e2e import FAST, FAST_PACE, SQLITE_ONLY

# Durations of seconds, as a coordinator trying it out would set (`--remind-after 2s`).
POLICY = ReminderPolicy(remind_after_s=2, remind_every_s=2, max_reminders=2,
                        quiet_hours=(0, 0), last_call_before_s=None)  # fmt: skip


def _reminders(participant: Participant) -> list:
    return [m for m in participant.user.messages
            if any(b["callback_data"] == "r||" for b in m.buttons)]  # fmt: skip


@SQLITE_ONLY
def test_abandoned_respondents_are_reminded_and_come_back(database_url, tmp_path):
    prepare_database(database_url, {"off": "cips-officials"}, policy=POLICY)
    fake = FakeTelegram(FAST_PACE).start()
    bot = BotProcess(fake, database_url, tmp_path, **FAST).start()
    clock = ClockProcess(fake, database_url, tmp_path).start()
    try:
        comes_back, gives_up, finishes = (
            Participant(fake.user(790_000_000 + i, language), seed=i)
            for i, language in enumerate(["fr", "en", "ar"])
        )
        finishes.join("off")
        finishes.finish()
        for participant in (comes_back, gives_up):
            participant.join("off")
        for _ in range(3):
            comes_back.step()
        gives_up.step()

        comes_back.user.wait_for(lambda ms: bool(_reminders(comes_back)), timeout=20)
        reminder = _reminders(comes_back)[-1]
        assert "Vous avez répondu à 3 questions sur" in reminder.text
        assert reminder.buttons[0]["text"] == "Continuer"
        seen = len(comes_back.user.messages)
        comes_back.user.press("r||", reminder)
        comes_back.current = comes_back._wait_prompt(seen)
        assert comes_back.current is not None and comes_back.current.edits == 0
        comes_back.finish()

        gives_up.user.wait_for(lambda ms: len(_reminders(gives_up)) == 2, timeout=20)
        time.sleep(4)  # twice the interval: a third would have come by now
        assert len(_reminders(gives_up)) == 2  # the maximum
        assert "You have answered 1 of" in _reminders(gives_up)[0].text
        assert _reminders(finishes) == []
    finally:
        clock.stop()
        bot.stop()
        fake.stop()
    db = Database(database_url)
    with db.sessions() as session:
        sent = session.scalars(select(ReminderSent.answered_again)).all()
    db.dispose()
    # Two to the one who gave up; the one who came back answered again within 24 h of theirs.
    assert sent.count(True) == 1 and len(sent) in (3, 4)

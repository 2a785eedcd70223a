"""Reminders end to end: the clock and the bot as processes, respondents on the fake Telegram."""

from __future__ import annotations

from sqlalchemy import select

from survey.campaigns import ReminderPolicy
from survey.storage.db import Database
from survey.storage.models import ReminderSent
from tests.bot_harness import (
    BotProcess,
    ClockProcess,
    Participant,
    prepare_database,
    question_of,
)
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
        comes_back, gives_up, finishes, blocks, late = (
            Participant(fake.user(790_000_000 + i, language), seed=i)
            for i, language in enumerate(["fr", "en", "ar", "en", "en"])
        )
        finishes.join("off")
        finishes.finish()
        for participant in (comes_back, gives_up, blocks):
            participant.join("off")
        for _ in range(3):
            comes_back.step()
        gives_up.step()
        blocks.step()
        # Blocked, without the bot being told (a lost my_chat_member update): its reminder
        # meets a 403, and that marks the contact unreachable.
        blocked_from = len(fake.served)
        fake.blocked.add(blocks.user.id)

        comes_back.user.wait_for(lambda ms: bool(_reminders(comes_back)), timeout=20)
        reminder = _reminders(comes_back)[-1]
        assert "Vous avez répondu à 3 questions sur" in reminder.text
        assert reminder.buttons[0]["text"] == "Continuer"
        seen = len(comes_back.user.messages)
        comes_back.user.press("r||", reminder)
        comes_back.current = comes_back._wait_prompt(seen)
        # Continue turns the reminder into the question card; the card before it lost its
        # buttons when the reminder came: only the newest message can be answered.
        assert comes_back.current is reminder and question_of(reminder) is not None
        assert [m for m in comes_back.user.messages if m.keyboard] == [reminder]
        comes_back.finish()

        gives_up.user.wait_for(lambda ms: len(_reminders(gives_up)) == 2, timeout=20)
        assert "You have answered 1 of" in _reminders(gives_up)[0].text
        # No third reminder, proved without waiting "long enough": someone who stops answering
        # only now is reminded remind_every later, after a third to gives_up would have been
        # due. The clock writes due reminders soonest first, so once that later one is in the
        # chat and the outbox is empty, a third to gives_up would have been sent already.
        late.join("off")
        late.step()
        late.user.wait_for(lambda ms: bool(_reminders(late)), timeout=20)
        bot.settle()
        assert len(_reminders(gives_up)) == 2  # the maximum
        assert _reminders(finishes) == []

        contact = bot.contact(blocks.user.id)
        assert contact is not None and contact.unreachable
        assert contact.next_reminder_at is None
        # At most the one reminder that found the chat blocked was tried (none if the bot
        # learnt of the block otherwise), and nothing reached the chat.
        tried = [s.outcome for s in fake.served_calls(chat=blocks.user.id, since=blocked_from)
                 if s.message]  # fmt: skip
        assert tried in ([], [403])
        assert _reminders(blocks) == []
    finally:
        clock.stop()
        bot.stop()
        fake.stop()
    db = Database(database_url)
    with db.sessions() as session:
        sent = session.scalars(select(ReminderSent.answered_again)).all()
    db.dispose()
    # The one who came back answered again within 24 h of their reminder (perhaps of a second
    # one, if it came before they pressed); the others did not: two to the one who gave up, one
    # to the late one, and the one written for the blocked chat (if it was).
    assert sent.count(True) == 1
    assert 3 <= sent.count(False) <= 5

"""One question card per chat (issue 18, item 1): a button answer costs one message, an edit of
the card that shows the next question; a typed answer or a reminder's Continue gets a new card
and the old one loses its buttons; a card that cannot be edited any more is sent anew."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot_harness import BotProcess, Participant, answerable, prepare_database, question_of
from tests.fake_telegram import ApiError, FakeTelegram, Pace

FAST = {"CIPS_CHAT_RATE": "100", "CIPS_CHAT_BURST": "10", "CIPS_SEND_RATE": "0"}
CAMPAIGNS = {"off": "cips-officials"}
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def fake():
    server = FakeTelegram(Pace(rate=120, burst=12, overall=None)).start()
    yield server
    server.stop()


@pytest.fixture
def bot(fake, database_url, tmp_path: Path):
    prepare_database(database_url, CAMPAIGNS)
    process = BotProcess(fake, database_url, tmp_path, **FAST).start()
    yield process
    assert process.stop() == 0, process.log_text()


def messages_sent(fake: FakeTelegram, chat: int, since: int) -> list[str]:
    """The sends and edits Telegram accepted in the chat since call number `since`."""
    return [s.method for s in fake.served_calls(chat=chat, since=since) if s.message and s.ok]


def with_buttons(user) -> list:
    return [m for m in user.messages if m.keyboard]


def test_a_button_answer_costs_one_message_an_edit_of_the_card(fake, bot):
    user = fake.user(730_000_001, "en")
    person = Participant(user, seed=3)
    person.join("off")
    card = person.current
    calls = len(fake.served)
    answered = 0
    while answered < 12 and answerable(person.current) and person.current is card:
        if person.current.buttons[0]["callback_data"].startswith("t|"):
            break  # a multiple-choice tick is a message of its own
        person.step()
        answered += 1
    bot.settle(*user.sent_updates)
    assert answered >= 5
    assert messages_sent(fake, user.id, calls) == ["editMessageText"] * answered
    assert person.current is card  # the same message, now showing the next question
    assert card.text.startswith("Your answer: ")
    assert "Question" in card.text and question_of(card) not in person.given
    assert with_buttons(user) == [card]


def test_a_typed_answer_gets_a_new_card_and_the_old_one_loses_its_buttons(fake, bot):
    user = fake.user(730_000_002, "en")
    person = Participant(user, seed=4)
    person.join("off")
    old = person.current
    first_label = answerable(old)[0]["text"]
    typed = user.send(first_label)  # an option typed instead of pressed
    bot.settle(typed)
    user.wait_for(lambda ms: ms[-1] is not old and bool(ms[-1].keyboard))
    new = user.messages[-1]
    assert question_of(new) != question_of(old) or new.text != old.text
    assert with_buttons(user) == [new]  # the old card is collapsed: only the newest answers
    assert f"Your answer: {first_label}" in old.text


def test_a_card_that_cannot_be_edited_is_sent_anew(fake, bot):
    user = fake.user(730_000_003, "en")
    person = Participant(user, seed=5)
    person.join("off")
    card = person.current
    gone = ApiError(400, "Bad Request: message to edit not found")
    fake.fail(lambda method, params: method == "editMessageText"
              and params.get("message_id") == card.message_id, gone)  # fmt: skip
    person.step()  # pressed on the card the person has deleted (the edit is refused)
    assert person.current is not card and question_of(person.current) not in person.given
    assert person.current.message_id > card.message_id

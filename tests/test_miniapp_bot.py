"""The bot's "Answer as a form" button (a Telegram Mini App), and one person switching between
the chat (the real bot against the fake Telegram) and the form (the Flask test client, with the
initData Telegram would sign for them): chat -> form -> chat, one response."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cards import _markup
from bot.render import WEB_APP, form_url, keyboard_of
from survey.engine import Reply, ReplyKind
from survey.engine.replies import Action, Button
from survey.i18n import Text
from survey.storage.db import Database
from survey.storage.models import Answer, Contact, Respondent, RespondentStatus
from tests.bot_harness import BotProcess, Participant, prepare_database, question_of
from tests.fake_telegram import TOKEN, FakeTelegram, Pace
from tests.miniapp_support import InsideTelegram, init_data
from web import create_app

FAST = {"CIPS_CHAT_RATE": "100", "CIPS_CHAT_BURST": "10", "CIPS_SEND_RATE": "0"}
PUBLIC = "https://survey.example.org"
QUESTION = re.compile(r'<input type="hidden" name="q" value="([^"]+)">')
OPTION = re.compile(r'<input type="(radio|checkbox)" name="value" id="option-1" value="([^"]*)"')


@pytest.fixture
def fake():
    server = FakeTelegram(Pace(rate=120, burst=12, overall=None)).start()
    yield server
    server.stop()


def form_buttons(message) -> list[dict]:
    return [b for b in message.buttons if "web_app" in b]


def test_the_form_is_offered_only_at_an_https_address():
    assert form_url(None) is None
    assert form_url("http://survey.example.org") is None  # Telegram would refuse the message
    assert form_url(PUBLIC + "/") == PUBLIC + "/tg/app"
    question = Reply(ReplyKind.QUESTION, (Text("Q?"),),
                     (Button(Text("Yes"), Action.ANSWER, "y", "q1"),), "q1", language="fr")  # fmt: skip
    rows = keyboard_of(question, form_url(PUBLIC))
    assert rows[-1] == (("Répondre dans un formulaire", WEB_APP + PUBLIC + "/tg/app"),)
    assert _markup([list(map(list, row)) for row in rows])["inline_keyboard"][-1] == [
        {"text": "Répondre dans un formulaire", "web_app": {"url": PUBLIC + "/tg/app"}}
    ]
    assert keyboard_of(question, form_url("http://survey.example.org")) == keyboard_of(question)
    thanks = Reply(ReplyKind.INFO, (Text("Thanks"),), language="en")
    assert keyboard_of(thanks, form_url(PUBLIC)) == ()  # nothing to answer any more


def answer_in_form(form: InsideTelegram) -> tuple[str, str]:
    """Answer the form's current question with its first option (or a number/text)."""
    question = html.unescape(QUESTION.search(form.page).group(1))
    option = OPTION.search(form.page)
    if option:
        value = html.unescape(option.group(2))
        form.answer(question, value)
    else:
        value = "3" if 'inputmode="decimal"' in form.page else "said in the form"
        form.type(question, value)
    assert form.status == 200, form.text()
    return question, value


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_chat_then_form_then_chat_is_one_response(fake, database_url, tmp_path: Path, monkeypatch):
    prepare_database(database_url, {"off": "cips-officials"})
    bot = BotProcess(fake, database_url, tmp_path, CIPS_PUBLIC_URL=PUBLIC, **FAST).start()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)  # the web back end knows the same bot
    app = create_app({"DATABASE_URL": database_url})
    try:
        user = fake.user(750_000_001, "en")
        person = Participant(user, seed=3)
        user.send("/start off")
        user.wait_for(lambda ms: any(m.keyboard for m in ms))
        consent = user.last_with_buttons()
        assert form_buttons(consent) == [
            {"text": "Answer as a form", "web_app": {"url": PUBLIC + "/tg/app"}}
        ]
        user.press("c||yes", consent)
        person.current = person._wait_prompt(0)
        person.step()
        person.step()  # two answers in the chat
        card = person.current
        assert form_buttons(card), card.buttons  # every question card offers the form

        # The form (as Telegram opens it from that button: no start_param, no cookie).
        form = InsideTelegram(app.test_client(use_cookies=False))
        form.open()
        form.enter(init_data(TOKEN, user.id))
        assert html.unescape(QUESTION.search(form.page).group(1)) == question_of(card)
        for _ in range(2):
            question, value = answer_in_form(form)
            person.given[question] = value  # answered: the person will not answer it again

        # Back in the chat: /start shows the question the form is at, with the form offered.
        seen = len(user.messages)
        user.send("/start")
        person.current = person._wait_prompt(seen)
        assert question_of(person.current) == html.unescape(QUESTION.search(form.page).group(1))
        assert form_buttons(person.current)
        person.finish()
        bot.settle()
        db = Database(database_url)
        try:
            with db.sessions() as session:
                respondents = session.scalars(select(Respondent)).all()
                assert [r.status for r in respondents] == [RespondentStatus.COMPLETED]
                answers = dict(session.execute(select(Answer.question_id, Answer.value)).all())
                assert session.scalar(select(Contact.id).limit(1)) is None
        finally:
            db.dispose()
        assert answers == person.given
        # The form again, with the survey's own link: already taken part, nothing new.
        again = InsideTelegram(app.test_client(use_cookies=False))
        again.enter(init_data(TOKEN, user.id, start_param="off"))
        assert "You have already taken part" in again.text()
    finally:
        app.extensions["cips"].db.dispose()
        assert bot.stop() == 0, bot.log_text()

"""The survey as a Telegram Mini App (/tg/app) through the Flask test client, without cookies as
in the frame of Telegram's web client: initData checked as Telegram documents it (valid, forged,
another bot's, stale, replayed), the chat and the form one respondent, framing by Telegram's web
clients on these routes only."""

from __future__ import annotations

import datetime as dt
import json
import time
from urllib.parse import parse_qsl, urlencode

import pytest
import time_machine
from sqlalchemy import func, select

from survey.engine import ConversationEngine, ReplyKind, messages
from survey.engine import events as ev
from survey.i18n import Text, render
from survey.loader import load_questionnaires
from survey.storage.models import Answer, Contact, Respondent, RespondentStatus
from tests.miniapp_support import InsideTelegram, init_data
from tests.web_survey_support import make_campaigns
from web import create_app
from web.respond import texts
from web.respond.init_data import InvalidInitData, Refusal, sign, validate
from web.security import TELEGRAM_WEB_ORIGINS

BOT_TOKEN = "123456:AAE-this-bot-s-token"
OTHER_BOT_TOKEN = "654321:AAF-another-bot-s-token"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
DAY = 86_400


@pytest.fixture
def app(db, database_url, tmp_path, monkeypatch):
    make_campaigns(db, tmp_path, monkeypatch)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    app = create_app({"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False})
    yield app
    app.extensions["cips"].db.dispose()


def telegram(app, language: str = "en") -> InsideTelegram:
    client = app.test_client(use_cookies=False)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return InsideTelegram(client)


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def say(msgid: str, language: str = "en") -> str:
    return render(Text(msgid), language)


def complete(person: InsideTelegram) -> InsideTelegram:
    """From the consent to the thanks, every question of the small questionnaire."""
    person.press("c||yes").answer("role", "broker").answer("a1", "4").answer("asked", "no")
    person.answer("modes", "online").type("visits", "3").type("note", "fine")
    return person


# -- initData, as Telegram documents it --------------------------------------------------------


def test_init_data_is_checked_as_telegram_documents_it():
    now = time.time()
    data = init_data(BOT_TOKEN, 42, language="fr", start_param="small")
    user = validate(data, BOT_TOKEN, now, DAY)
    assert (user.user_id, user.language_code, user.start_param) == (42, "fr", "small")
    fields = dict(parse_qsl(data))
    # The check string: every field but hash, sorted, key=value, line feeds (signature included).
    expected = "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")
    assert sign(fields, BOT_TOKEN) == fields["hash"] and "signature=" in expected

    def refused(text: str) -> Refusal:
        with pytest.raises(InvalidInitData) as caught:
            validate(text, BOT_TOKEN, now, DAY)
        return caught.value.reason

    altered = urlencode({**fields, "user": fields["user"].replace("42", "43")})
    assert refused(altered) is Refusal.FORGED  # another person's id under the same hash
    assert refused(init_data(OTHER_BOT_TOKEN, 42)) is Refusal.FORGED
    assert refused(urlencode({**fields, "hash": "0" * 64})) is Refusal.FORGED
    assert refused(urlencode({**fields, "hash": "é" * 64})) is Refusal.FORGED  # not hex at all
    assert refused(init_data(BOT_TOKEN, 42, age=DAY + 60)) is Refusal.STALE
    assert refused(init_data(BOT_TOKEN, 42, age=-3600)) is Refusal.STALE  # from the future
    assert refused(urlencode({k: v for k, v in fields.items() if k != "hash"})) is (
        Refusal.MALFORMED
    )
    assert refused(data + "&user=" + fields["user"]) is Refusal.MALFORMED  # a field twice
    assert refused("") is Refusal.MALFORMED
    assert validate(init_data(BOT_TOKEN, 42, age=DAY - 60), BOT_TOKEN, now, DAY).user_id == 42


# -- the pages ---------------------------------------------------------------------------------


def test_valid_init_data_opens_the_survey_and_it_is_answered_without_any_cookie(app, db):
    person = telegram(app)
    shell = person.open()
    assert shell.status == 200 and 'src="/static/miniapp.js"' in shell.page
    person.enter(init_data(BOT_TOKEN, 4242, start_param="small"))
    assert person.status == 200 and "Do you agree to take part?" in person.text()
    assert 'name="csrf_token"' not in person.page and 'id="forget"' not in person.page
    person.press("c||yes")
    assert "Your role?" in person.text() and 'action="/tg/app"' in person.page
    token = person.token
    person.answer("role", "broker")
    person.post({"q": "role", "value": "broker"}, token=token)  # a double submit
    assert "Rules are published" in person.text()
    complete_from_role(person)
    assert say(messages.THANKS) in person.text()
    assert not any("Set-Cookie" in r.headers for r in person.responses)
    assert count(db, Respondent, Respondent.status == RespondentStatus.COMPLETED) == 1
    assert count(db, Answer) == 6 and count(db, Contact) == 0
    assert count(db, Respondent, Respondent.channel == "miniapp") == 1  # survey.channels


def complete_from_role(person: InsideTelegram) -> None:
    person.answer("role", "broker").answer("a1", "4").answer("asked", "no")
    person.answer("modes", "online").type("visits", "3").type("note", "fine")


@pytest.mark.parametrize(
    "case",
    [
        "forged",  # the person's id changed after Telegram signed
        "other bot",  # signed for another bot
        "stale",  # older than a day
        "none",  # opened outside Telegram, or the fragment lost
    ],
)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_refused_init_data_gets_a_clear_page_in_the_respondents_language(app, db, case, language):
    if case == "forged":
        fields = dict(parse_qsl(init_data(BOT_TOKEN, 1001, start_param="small")))
        data = urlencode({**fields, "user": json.dumps({"id": 1002, "first_name": "Eve"})})
    elif case == "other bot":
        data = init_data(OTHER_BOT_TOKEN, 1001, start_param="small")
    elif case == "stale":
        data = init_data(BOT_TOKEN, 1001, start_param="small", age=DAY + 120)
    else:
        data = ""
    person = telegram(app, language).enter(data)
    expected = texts.MINIAPP_STALE if case == "stale" else texts.MINIAPP_FORGED
    assert person.status == 403
    assert say(expected, language) in person.text()
    assert 'name="mt"' not in person.page  # nothing to answer with
    assert count(db, Contact) == 0 and count(db, Respondent) == 0


def test_the_age_limit_of_init_data_is_a_setting(db, database_url, tmp_path, monkeypatch):
    make_campaigns(db, tmp_path, monkeypatch)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("CIPS_MINIAPP_MAX_AGE", "3600")
    app = create_app({"DATABASE_URL": database_url})
    try:
        two_hours = telegram(app).enter(init_data(BOT_TOKEN, 7, start_param="small", age=7200))
        assert two_hours.status == 403 and say(texts.MINIAPP_STALE) in two_hours.text()
        recent = telegram(app).enter(init_data(BOT_TOKEN, 7, start_param="small", age=1800))
        assert recent.status == 200 and "Do you agree to take part?" in recent.text()
    finally:
        app.extensions["cips"].db.dispose()


def test_replayed_init_data_cannot_give_a_second_response(app, db):
    data = init_data(BOT_TOKEN, 5151, start_param="small")
    first = complete(telegram(app).enter(data))
    old_token = first.token if 'name="mt"' in first.page else None
    assert old_token is None  # the thanks page offers nothing more to post
    # The same initData again (within its day), from the survey's link and from the button.
    again = telegram(app).enter(data)
    assert again.status == 200 and say(messages.ALREADY_TOOK_PART) in again.text()
    button = telegram(app).enter(init_data(BOT_TOKEN, 5151))
    assert say(messages.NOTHING_IN_PROGRESS) in button.text()
    # A form token kept from before the end posts into nothing.
    mid = telegram(app).enter(init_data(BOT_TOKEN, 5252, start_param="small"))
    kept = mid.token
    complete(mid)
    late = telegram(app).post({"q": "role", "value": "carrier"}, token=kept)
    assert late.status == 200 and "Your role?" not in late.text()
    assert count(db, Respondent) == 2 and count(db, Contact) == 0
    with db.transaction() as session:
        roles = session.scalars(select(Answer.value).where(Answer.question_id == "role"))
        assert sorted(roles) == ["broker", "broker"]


def test_a_form_token_expires_and_cannot_be_forged(app, db):
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        person = telegram(app).enter(init_data(BOT_TOKEN, 6161, start_param="small"))
        token = person.token
        person.press("c||yes")
        clock.shift(dt.timedelta(hours=1, minutes=50))  # still fresh: every page renews it
        person.answer("role", "carrier")
        assert "Rules are published" in person.text()
        clock.shift(dt.timedelta(hours=2, minutes=1))
        person.answer("a1", "5")
        assert person.status == 403 and say(texts.MINIAPP_EXPIRED) in person.text()
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        assert telegram(app).post({"b": "c||yes"}, token=forged).status == 403
    with db.transaction() as session:
        assert dict(session.execute(select(Answer.question_id, Answer.value)).all()) == {
            "role": "carrier"
        }


def test_chat_and_form_are_one_respondent(app, db):
    """Chat (the engine with the bot's own sender) -> form -> chat: one response, one contact."""
    settings = app.extensions["cips"].settings
    engine = ConversationEngine(db, load_questionnaires(folders=settings.questionnaire_dirs),
                                settings.secret_key)  # fmt: skip
    chat = ev.Sender("telegram", "8080", "8080", "en")
    assert engine.handle(ev.Start(chat, "small"))[-1].kind is ReplyKind.CONSENT
    engine.handle(ev.Consent(chat, True))
    engine.handle(ev.Answer(chat, "role", "carrier"))
    form = telegram(app).enter(init_data(BOT_TOKEN, 8080))  # the button: no start_param
    assert "Rules are published" in form.text()  # where the chat left off
    form.answer("a1", "2").answer("asked", "no")
    assert "How do you lodge declarations?" in form.text()
    replies = engine.handle(ev.Resume(chat))  # back in the chat: the form's next question
    assert replies[-1].question_id == "modes"
    engine.handle(ev.Toggle(chat, "modes", "office"))
    engine.handle(ev.Done(chat, "modes"))
    engine.handle(ev.Typed(chat, "2"))
    assert engine.handle(ev.Typed(chat, "ok"))[-1].kind is ReplyKind.INFO  # the thanks
    again = telegram(app).enter(init_data(BOT_TOKEN, 8080, start_param="small"))
    assert say(messages.ALREADY_TOOK_PART) in again.text()
    assert count(db, Respondent) == 1 and count(db, Contact) == 0
    assert count(db, Respondent, Respondent.channel == "chat") == 1  # where consent was given
    with db.transaction() as session:
        answers = dict(session.execute(select(Answer.question_id, Answer.value)).all())
    assert answers == {"role": "carrier", "a1": "2", "asked": "no", "modes": "office",
                       "visits": "2", "note": "ok"}  # fmt: skip


# -- framing -----------------------------------------------------------------------------------


@SQLITE_ONLY
def test_telegram_may_frame_the_mini_app_routes_and_nothing_else(app):
    person = telegram(app)
    framed = [
        person.open().responses[-1],
        person.enter(init_data(BOT_TOKEN, 9090, start_param="small")).responses[-1],
        person.press("c||yes").responses[-1],
        telegram(app).enter("forged").responses[-1],  # a refusal too: shown in the frame
    ]
    ancestors = "frame-ancestors " + " ".join(TELEGRAM_WEB_ORIGINS)
    assert TELEGRAM_WEB_ORIGINS == ("https://web.telegram.org", "https://*.web.telegram.org")
    for response in framed:
        assert ancestors in response.headers["Content-Security-Policy"]
        assert "X-Frame-Options" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    client = app.test_client()
    for path in ("/s/small", "/login", "/tg/no-such-page", "/static/miniapp.js"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY", path

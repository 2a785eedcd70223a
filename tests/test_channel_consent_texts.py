"""What the consent says is true of the channel it is read in (reviewer's case: the web survey
showed the Telegram bot's "Most take one tap" and "joins this chat to your answers, only to send
you the next question and reminders", and /s/nope said to "send" the code again).

The engine picks the texts by the channel its transport passes in (`Sender.entry`): the chat
keeps its own, the Mini App names the Telegram account and the chat's reminders, a browser its
cookie and no reminders, an access code that it is spent at consent with nothing kept; the
leaving confirmations too (no reminders on the web, a spent code cannot start again)."""

from __future__ import annotations

import pytest

from survey import channels
from survey.engine import events as ev
from survey.engine import messages
from survey.i18n import render, translations
from tests import test_web_access_codes
from tests.test_engine import clock, setup  # noqa: F401 (the engine fixtures)
from tests.test_web_access_codes import CODE
from tests.web_support import post_form, sign_in
from tests.web_survey_support import WebRespondent

LANGUAGES = ["en", "fr", "es", "ar", "pt"]

app = test_web_access_codes.app  # the same app: campaign `small`, a coordinator


def said(language: str, msgid: str) -> str:
    """The first sentence of a message in `language` (enough to find it on a page)."""
    return translations(language).gettext(msgid).split("{")[0][:60]


def chat_only(language: str) -> list[str]:
    """Sentences of the chat's consent that are false in a browser."""
    intro = translations(language).gettext(messages.INTRO).rsplit("}", 1)[-1].split(". ", 1)[-1]
    anonymity = translations(language).gettext(messages.ANONYMITY)
    return [intro.strip(), anonymity[: anonymity.index(".", 40)]]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_web_consent_describes_the_browser_not_a_chat(app, language):
    page = WebRespondent(app.test_client(), "small").open().start(language).text()
    assert translations(language).gettext(messages.CONSENT_QUESTION) in page
    for sentence in chat_only(language):
        assert sentence not in page
    expected = translations(language).gettext(messages.ANONYMITY_WEB)
    assert expected.split(". ")[1] in page  # the cookie sentence
    assert ("cookie" in page) and ("one tap" not in page) and ("reminders" not in page)


def test_an_access_code_consent_says_the_code_is_spent_at_consent(app):
    client = app.test_client()
    sign_in(client, "coordinator")
    [code] = CODE.findall(post_form(client, "/campaigns/small", "/campaigns/small/codes",
                                    {"count": 1}).text)  # fmt: skip
    person = WebRespondent(app.test_client(), "small").open().start("en", access_code=code)
    assert "Your access code is marked as used when you agree" in person.text()
    assert "this chat" not in person.text()
    person.consent().nav("delete")
    assert "Your access code stays used, so it cannot open the survey again." in person.text()
    assert "You can start again later" not in person.text()


def test_stopping_on_the_web_promises_no_reminders(app):
    person = WebRespondent(app.test_client(), "small").open().start("en").consent().nav("stop")
    assert "Do you want to stop the survey?" in person.text()
    assert "reminders" not in person.text()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_unknown_web_code_says_to_check_the_link(app, language):
    client = app.test_client()
    response = client.get("/s/nope", headers={"Accept-Language": language})
    assert response.status_code == 404
    page = response.text.replace("&#39;", "'")
    assert said(language, messages.UNKNOWN_CODE).split("«")[0].split("“")[0] in page
    assert translations(language).gettext(messages.UNKNOWN_CODE).rsplit(". ", 1)[-1] not in page


def consent_parts(engine, sender: ev.Sender) -> list[str]:
    engine.handle(ev.Start(sender, "small"))
    replies = engine.handle(ev.ChooseLanguage(sender, "en"))
    return [part.msgid for part in replies[-1].parts]


def test_each_channel_gets_its_own_consent_from_the_engine(setup):  # noqa: F811
    chat = consent_parts(setup, ev.Sender("telegram", "501", chat_id="501"))
    miniapp = consent_parts(setup, ev.Sender("telegram", "502", entry=channels.MINIAPP))
    web = consent_parts(setup, ev.Sender("web", "t" * 40, entry=channels.WEB))
    code = consent_parts(setup, ev.Sender("web", "u" * 40, entry=channels.CODE))
    assert chat[:2] == [messages.INTRO, messages.ANONYMITY]  # the bot's, unchanged
    assert miniapp[:2] == [messages.INTRO_FORM, messages.ANONYMITY_MINIAPP]
    assert web[:2] == [messages.INTRO_FORM, messages.ANONYMITY_WEB]
    assert code[:2] == [messages.INTRO_FORM, messages.ANONYMITY_CODE]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_channel_text_reads_in_every_language(language):
    for msgid in (messages.INTRO_FORM, messages.ANONYMITY_MINIAPP, messages.ANONYMITY_WEB,
                  messages.ANONYMITY_CODE, messages.CONFIRM_STOP_WEB,
                  messages.CONFIRM_DELETE_CODE, messages.CODE_NEEDED):  # fmt: skip
        text = translations(language).gettext(msgid)
        assert text and (language == "en" or text != msgid)
    web = render_text(language, messages.ANONYMITY_WEB)
    assert "{k}" not in web and "10" in web


def render_text(language: str, msgid: str) -> str:
    from survey.i18n import Text

    return render(Text(msgid, {"k": 10}), language)

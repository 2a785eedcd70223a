"""The conversation engine, branch by branch, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey import i18n
from survey.anonymity import ChatCipher
from survey.campaigns import create_administration, create_campaign
from survey.engine import Answer as AnswerEvent
from survey.engine import ConversationEngine, ReplyKind, Skip, Unsupported, messages
from survey.engine.answers import option_label, parse_typed, typing_hint
from survey.engine.inputs import event_for_button
from survey.i18n import Text, render
from survey.loader import load_questionnaire, load_questionnaires
from survey.questionnaire import QuestionType
from survey.storage.models import (
    Answer,
    Campaign,
    Contact,
    Participation,
    Respondent,
    RespondentStatus,
)
from tests.conftest import TEST_SECRET
from tests.engine_driver import ControlledClock
from tests.engine_driver import Respondent as Person

SMALL = """
id = "small"
version = "1"
survey = "other"
title = "A small survey"
source_language = "en"

[[demographics]]
id = "role"
type = "single_choice"
text = "Your role?"
choices = [{ code = "broker", label = "Broker" }, { code = "carrier", label = "Carrier" }]

[[items]]
id = "a1"
type = "agreement"
factor = 3
text = "Rules are published"

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
id = "modes"
type = "multiple_choice"
text = "How do you lodge declarations?"
max_choices = 2
choices = [
  { code = "online", label = "Online" },
  { code = "office", label = "At the office" },
  { code = "broker", label = "Through a broker" },
]

[[items]]
id = "visits"
type = "number"
text = "How many visits a month?"
min = 0
max = 100

[[items]]
id = "note"
type = "text"
text = "Anything else?"
max_length = 20
required = false
"""

FRENCH_PO = r"""
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: fr\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"

msgctxt "small:role"
msgid "Your role?"
msgstr "Votre rôle ?"

msgid "Agree"
msgstr "D'accord"

msgid "Question {number} of {total}"
msgstr "Question {number} sur {total}"
"""


@pytest.fixture
def french(tmp_path, monkeypatch):
    """A French catalog dropped into a locales folder, as a translator would add one."""
    folder = tmp_path / "locales" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(FRENCH_PO, encoding="utf-8")
    monkeypatch.setattr(i18n, "locales_dir", lambda: tmp_path / "locales")
    i18n.translations.cache_clear()
    yield
    i18n.translations.cache_clear()


@pytest.fixture
def clock():
    return ControlledClock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def setup(db, tmp_path, clock):
    small_path = tmp_path / "small.toml"
    small_path.write_text(SMALL)
    questionnaires = load_questionnaires() | {"small": load_questionnaire(small_path)}
    with db.transaction() as session:
        admin = create_administration(session, "BF", "Douanes", "Africa/Ouagadougou", ["en", "fr"])
        for qid, code in (
            ("small", "small"),
            ("cips-officials", "off"),
            ("cips-private-sector", "priv"),
        ):
            create_campaign(session, admin, questionnaires[qid], "2026", code=code)
    engine = ConversationEngine(db, questionnaires, TEST_SECRET, clock=clock,
                                languages=lambda: ["en", "fr"])  # fmt: skip
    return engine


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def answers(db) -> dict[str, str]:
    with db.transaction() as session:
        return dict(session.execute(select(Answer.question_id, Answer.value)).all())


def test_bare_start_asks_for_a_code_and_a_typed_code_starts(setup):
    person = Person(setup, "101")
    person.command("start")
    assert "send the survey code" in person.text()
    person.type("small")
    assert person.prompt.kind is ReplyKind.LANGUAGE_MENU


def test_unknown_scheduled_and_closed_campaigns(setup, db, clock):
    person = Person(setup, "102")
    person.command("start", "nope")
    assert "no survey with the code “nope”" in person.text()
    with db.transaction() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.code == "small"))
        campaign.opens_at = clock.now + dt.timedelta(days=3)
    person.command("start", "small")
    assert "This survey opens on November 5, 2026" in person.text()
    clock.now += dt.timedelta(days=40)
    with db.transaction() as session:
        session.scalar(select(Campaign).where(Campaign.code == "small")).closes_at = clock.now
    person.command("start", "small")
    assert "This survey is closed" in person.text()


def test_a_whole_response_then_nothing_leads_back(setup, db):
    person = Person(setup, "103")
    person.join("small")
    # n of N, N the longest path still possible: 7 while 'reported' may come, 6 once it cannot.
    assert person.question == "role" and person.prompt.progress == (1, 7)
    person.press("Broker")
    assert person.prompt.progress == (2, 7)
    person.press("Agree")
    assert person.prompt.progress == (3, 7)
    person.press("No")
    assert person.question == "modes", "the skip logic hides 'reported'"
    assert person.prompt.progress == (4, 6)
    person.press("online")
    person.press("office")
    person.press("Done")
    person.type("12")
    person.type("  fine\x07 thanks  ")
    assert "Thank you! Your answers have been saved" in person.text()
    assert answers(db) == {"role": "broker", "a1": "4", "asked": "no", "modes": "online;office",
                           "visits": "12", "note": "fine thanks"}  # fmt: skip
    assert count(db, Respondent, Respondent.status == RespondentStatus.COMPLETED) == 1
    assert count(db, Contact) == 0, "the contact record goes at completion"
    # Until sealing, the participation mark waits on the response and stops a second one.
    assert count(db, Respondent, Respondent.mark.is_not(None)) == 1
    assert count(db, Participation) == 0
    person.command("start", "small")
    assert "already taken part" in person.text()
    person.command("delete")
    assert "Answers can only be deleted while you are still answering" in person.text()


def test_typed_answers_are_taken_only_when_unambiguous(setup, db):
    person = Person(setup, "104")
    person.join("small")
    person.type("carrier")
    assert answers(db)["role"] == "carrier"
    person.type("maybe")
    assert person.question == "a1"
    assert "or type a number from 1 (Strongly disagree) to 5 (Strongly agree)." in person.text()
    person.type("5")
    assert answers(db)["a1"] == "5"
    person.type("YES")
    person.type("2")
    assert answers(db)["reported"] == "no"
    person.type("Online, through a broker, at the office")
    assert "at most 2" in person.text() and person.question == "modes"
    person.type("1; 3")
    assert answers(db)["modes"] == "online;broker"
    for bad in ("lots", "2.5", "101", ""):
        person.type(bad)
        assert person.question == "visits", bad
    person.type("100")
    person.type("x" * 50)
    assert "only the first 20 characters were kept" in person.text()
    assert answers(db)["note"] == "x" * 20


def test_stickers_and_the_like_get_an_explanation_and_the_question_again(setup):
    person = Person(setup, "105")
    person.join("small")
    person.send(Unsupported(person.sender, "sticker"))
    assert "can only read text and button presses" in person.text()
    assert person.replies[-1].question_id == "role"


def test_input_during_a_confirmation_is_explained_with_the_confirmation_again(setup):
    person = Person(setup, "113")
    person.join("small")
    person.command("stop")
    person.send(Unsupported(person.sender, "sticker"))
    assert "can only read text and button presses" in person.text()
    assert "Do you want to stop the survey?" in person.text()
    person.type("yes")
    assert "Please answer with one of the buttons below." in person.text()
    assert [r.kind for r in person.replies] == [ReplyKind.CONFIRM]
    person.press("Yes, stop")
    assert "The survey is stopped" in person.text()


def test_duplicates_and_stale_buttons(setup, db):
    person = Person(setup, "106")
    person.join("small")
    broker = person.button_event("Broker")
    person.send(broker)
    assert person.send(broker) == [], "a redelivered answer changes nothing and says nothing"
    person.press("Agree")
    assert person.question == "asked"
    person.send(AnswerEvent(person.sender, "role", "carrier"))
    assert answers(db)["role"] == "carrier", "an earlier question's button changes its answer"
    assert person.replies[0].kind is ReplyKind.ANSWER_RECORDED and len(person.replies) == 1
    person.send(AnswerEvent(person.sender, "visits", "3"))
    assert "no longer valid" in person.text() and person.replies[-1].question_id == "asked"
    person.send(AnswerEvent(person.sender, "asked", "perhaps"))
    assert "no longer valid" in person.text()
    assert count(db, Answer) == 2


def test_an_old_cards_button_gets_a_notice_and_changes_nothing(setup, db):
    person = Person(setup, "116")
    person.join("small")
    role_card = person.prompt
    person.press("Broker")
    person.press("Agree")
    assert person.question == "asked"
    # The answer just given, pressed again (a double tap): nothing changes, nothing is said.
    assert person.send(AnswerEvent(person.sender, "a1", "4")) == []
    # A button of an older card: a short notice, with the current question below it.
    replies = person.send(event_for_button(person.sender, role_card.buttons[0]))
    assert [(r.kind, r.question_id) for r in replies] == [(ReplyKind.QUESTION, "asked")]
    assert render(replies[0].parts[0], "en") == (
        "That question is already answered; the current one is below."
    )
    assert answers(db) == {"role": "broker", "a1": "4"}
    # Multiple choice: Done pressed twice is a double tap; a choice on the answered card is not.
    person.press("No")
    person.press("online")
    modes_card = person.prompt
    done = person.button_event("Done")
    person.send(done)
    assert person.question == "visits"
    assert person.send(done) == []
    replies = person.send(event_for_button(person.sender, modes_card.buttons[1]))
    assert [r.question_id for r in replies] == ["visits"]
    assert "already answered" in render(replies[0].parts[0], "en")
    assert answers(db)["modes"] == "online"
    # After the end, any question's button: a short notice, nothing changed.
    person.type("3")
    person.press("Skip")
    assert "Thank you! Your answers have been saved" in person.text()
    before = answers(db)
    for event in (
        AnswerEvent(person.sender, "a1", "2"),
        event_for_button(person.sender, modes_card.buttons[2]),
        Skip(person.sender, "note"),
    ):
        [reply] = person.send(event)
        assert reply.kind is ReplyKind.INFO
        assert render(reply.parts[0], "en") == (
            "That button no longer works: this conversation has ended."
        )
    assert answers(db) == before and count(db, Contact) == 0


def test_typed_answers_are_normalized_before_matching(setup, db, french):
    typed = {
        "Don’t know": "DK",  # a curly apostrophe (U+2019), as phones type it
        "don‘t  KNOW!": "DK",
        "٣": "3",  # Arabic-Indic digit three
        "۵": "5",  # Extended Arabic-Indic (Persian) five
        "  AGREE ": "4",
        "“Strongly   agree”": "5",
        "Ｎeither agree nor disagree": "3",  # a full-width letter (NFKC)
    }
    for n, (text, value) in enumerate(typed.items()):
        person = Person(setup, f"12{n}")
        person.join("small")
        person.press("Broker")
        person.type(text)
        assert person.question == "asked", text
        with db.transaction() as session:
            stored = session.scalars(select(Answer.value).where(Answer.question_id == "a1")).all()
        assert stored[-1] == value, text
    person.type("« yes »")
    person.type("NO")
    person.type("Online، through   a BROKER")  # an Arabic comma between two choices
    person.type("٤٢")
    assert person.question == "note"
    person = Person(setup, "130", language_hint="fr")
    person.command("start", "small")
    person.press("Yes, I agree")
    person.press("Broker")
    person.type("d’accord")  # the catalog says D'accord (a straight apostrophe)
    assert person.question == "asked"
    with db.transaction() as session:
        rows = session.execute(select(Answer.question_id, Answer.value)).all()
    assert {("reported", "no"), ("modes", "online;broker"), ("visits", "42")} <= set(rows)
    assert rows.count(("a1", "4")) == 2


@pytest.mark.parametrize("language", ["en", "fr", "es", "pt", "ar"])
def test_the_typing_hint_says_what_works(language):
    """The hint promises that a button's label, typed, is taken (and 1-5 on the scale): true for
    every option of both questionnaires in every language; no numbers are promised elsewhere."""
    for questionnaire in load_questionnaires().values():
        for question in questionnaire.questions:
            if not question.codes:
                continue
            hint = render(typing_hint(questionnaire, question), language)
            for code in question.codes:
                label = render(option_label(questionnaire, question, code), language)
                parsed = parse_typed(questionnaire, question, label, language)
                assert parsed.value == code, (questionnaire.id, question.id, label)
            if question.type is QuestionType.AGREEMENT:
                for number in "12345":
                    assert parse_typed(questionnaire, question, number, language).value == number
                for code in "15":
                    label = render(option_label(questionnaire, question, code), language)
                    assert label in hint and code in hint
            else:
                assert not any(d in hint for d in "12345"), hint
    english = render(Text(messages.HELP), "en") + render(Text(messages.USE_BUTTONS), "en")
    assert "number of your answer" not in english


def test_changing_an_answer_that_reveals_a_question_asks_it_next(setup, db):
    person = Person(setup, "107")
    person.join("small")
    person.press("Broker")
    person.press("Agree")
    person.press("No")
    assert person.question == "modes"
    person.send(AnswerEvent(person.sender, "asked", "yes"))
    assert person.replies[-1].question_id == "reported"
    person.press("Yes")
    assert person.question == "modes"
    person.send(AnswerEvent(person.sender, "asked", "no"))
    assert "reported" not in answers(db), "a hidden question's answer is removed"


def test_back_goes_to_the_previous_question_and_returns_to_where_one_was(setup, db):
    person = Person(setup, "108")
    person.join("small")
    person.command("back")
    assert "This is the first question" in person.text()
    person.press("Broker")
    person.press("Agree")
    person.command("back")
    assert person.question == "a1" and "Your answer so far: Agree" in person.text()
    person.command("back")
    assert person.question == "role"
    person.press("Carrier")
    assert person.question == "asked", "back to the first unanswered question"
    assert answers(db) == {"role": "carrier", "a1": "4"}


def test_going_back_is_refused_where_the_questionnaire_forbids_it(setup, db, tmp_path):
    path = tmp_path / "strict.toml"
    path.write_text(SMALL.replace('id = "small"', 'id = "strict"\nallow_back = false', 1))
    setup.questionnaires["strict"] = load_questionnaire(path)
    with db.transaction() as session:
        admin = session.scalar(select(Campaign).where(Campaign.code == "small")).administration
        create_campaign(session, admin, setup.questionnaires["strict"], "2026", code="strict")
    person = Person(setup, "109")
    person.join("strict")
    person.press("Broker")
    person.command("back")
    assert "Going back is not possible" in person.text()
    person.send(AnswerEvent(person.sender, "role", "carrier"))
    assert "cannot be changed in this survey" in person.text()
    assert answers(db)["role"] == "broker"


def test_skip_only_where_allowed(setup, db):
    person = Person(setup, "110")
    person.join("small")
    assert "Skip" not in [b.label.msgid for b in person.prompt.buttons]
    person.send(Skip(person.sender, "role"))
    assert "This question needs an answer" in person.text()
    for step in ("Broker", "Agree", "No", "online", "Done"):
        person.press(step)
    person.type("4")
    person.press("Skip")
    assert "Thank you! Your answers have been saved" in person.text()
    assert answers(db)["note"] == "", "a skipped question is stored blank"


def test_stop_keeps_the_answers_and_ends_the_conversation(setup, db):
    person = Person(setup, "111")
    person.join("small")
    person.press("Broker")
    person.command("stop")
    person.press("No, continue")
    assert person.question == "a1"
    person.command("stop")
    person.press("Yes, stop")
    assert "The survey is stopped" in person.text()
    assert count(db, Respondent, Respondent.status == RespondentStatus.WITHDRAWN) == 1
    assert answers(db) == {"role": "broker"}
    assert count(db, Contact) == 0
    person.command("start", "small")
    assert "already taken part" in person.text()


def test_delete_erases_the_answers_and_allows_a_new_start(setup, db):
    person = Person(setup, "112")
    person.join("small")
    person.press("Broker")
    person.press("Agree")
    person.command("delete")
    person.press("Yes, delete")
    assert "Your answers have been deleted" in person.text()
    assert (
        count(db, Respondent),
        count(db, Answer),
        count(db, Contact),
        count(db, Participation),
    ) == (0, 0, 0, 0)
    person.join("small")
    assert person.question == "role"


def test_declining_records_nothing(setup, db):
    person = Person(setup, "113")
    person.command("start", "small")
    person.press("en")
    person.press("No, thank you")
    assert "Nothing was recorded" in person.text()
    assert (count(db, Respondent), count(db, Contact), count(db, Participation)) == (0, 0, 0)


def test_language_from_the_hint_and_changed_midway(setup, french):
    person = Person(setup, "114", language_hint="fr-FR")
    person.command("start", "small")
    assert person.prompt.kind is ReplyKind.CONSENT, "the hint pre-selects the language"
    person.press("Yes, I agree")
    assert "Votre rôle ?" in person.text() and "Question 1 sur 6" not in person.text()
    assert person.replies[-1].progress == (1, 7) and person.replies[-1].language == "fr"
    person.command("language")
    person.press("en")
    assert person.replies[-1].question_id == "role" and "Your role?" in person.text()
    person.press("Broker")
    person.type("d'accord")
    assert person.question == "asked" or "Please answer" in person.text()


def test_campaign_closing_midway_erases_the_contact(setup, db, clock):
    person = Person(setup, "115")
    person.join("small")
    person.press("Broker")
    with db.transaction() as session:
        session.scalar(select(Campaign).where(Campaign.code == "small")).closes_at = clock.now
    person.press("Agree")
    assert "This survey is closed" in person.text()
    assert count(db, Contact) == 0 and count(db, Respondent) == 1


def test_both_cips_questionnaires_can_be_completed(setup, db):
    for number, code in enumerate(("off", "priv")):
        person = Person(setup, f"2{number}")
        person.join(code)
        person.answer_everything()
        assert "Thank you! Your answers have been saved" in person.text()
    assert count(db, Respondent, Respondent.status == RespondentStatus.COMPLETED) == 2


def test_no_channel_identifier_is_left_anywhere(setup, db, caplog):
    """Complete, withdraw and delete respondents, then scan every table and the logs."""
    ids = [f"98765432{n}" for n in range(6)]
    for n, user in enumerate(ids):
        person = Person(setup, user)
        person.join("small")
        person.press("Broker")
        if n % 3 == 0:
            person.answer_everything()
        elif n % 3 == 1:
            person.command("stop")
            person.press("Yes, stop")
        else:
            person.command("delete")
            person.press("Yes, delete")
    still_going = Person(setup, "55512345")
    still_going.join("off")
    dump = dump_database(db)
    for user in [*ids, "55512345"]:
        assert user not in dump
        assert user not in caplog.text
    # While under way, the chat id exists only encrypted and can be read back with the key.
    with db.transaction() as session:
        secret = session.scalar(select(Contact.chat_secret))
    assert ChatCipher(TEST_SECRET).decrypt(secret) == "55512345"


def dump_database(db) -> str:
    """Every value of every table, as text."""
    from survey.storage.models import Base

    with db.transaction() as session:
        return "\n".join(
            repr(row)
            for table in Base.metadata.sorted_tables
            for row in session.execute(table.select())
        )


def test_sixth_language_dropped_into_locales_is_offered(tmp_path, monkeypatch, db):
    (tmp_path / "loc" / "sw" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "loc" / "sw" / "LC_MESSAGES" / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Please choose your language."\nmsgstr "Tafadhali chagua lugha yako."\n'
    )
    monkeypatch.setattr(i18n, "locales_dir", lambda: Path(tmp_path / "loc"))
    i18n.translations.cache_clear()
    assert "sw" in i18n.available_languages()
    assert (
        i18n.render(i18n.Text("Please choose your language."), "sw")
        == "Tafadhali chagua lugha yako."
    )
    i18n.translations.cache_clear()

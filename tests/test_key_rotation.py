"""Rotating CIPS_SECRET_KEY (README, "Rotating CIPS_SECRET_KEY"), played as faults.

The old key moves to CIPS_OLD_SECRET_KEYS and every process restarts with the new one: someone
in the middle of the survey goes on where they were, someone who already took part is still
refused, an address encrypted under the old key is still read, `cips keys rotate` encrypts the
stored addresses again, and dropping the old key too early is said plainly, never silently.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.outbox import enqueue
from survey import sealing
from survey.anonymity import ChatCipher, participation_mark, user_hash
from survey.campaigns import create_administration, create_campaign
from survey.config import load_settings
from survey.engine import ConversationEngine, ReplyKind
from survey.key_rotation import open_campaigns, rotate_tokens
from survey.loader import load_questionnaire, load_questionnaires
from survey.storage.models import Answer, Contact, Outbox, Participation, Respondent
from tests.bot_harness import BotProcess, Participant, prepare_database
from tests.cli_support import run_cips
from tests.engine_driver import ControlledClock
from tests.engine_driver import Respondent as Person
from tests.fake_telegram import FakeTelegram, Pace
from tests.test_engine import SMALL

OLD = "the-old-key-before-rotation"
NEW = "the-new-key-after-rotation"
K = 5


@pytest.fixture
def clock():
    return ControlledClock(dt.datetime.now(dt.UTC).replace(microsecond=0))


@pytest.fixture
def engines(db, tmp_path, clock):
    """engines(key, *old_keys): the conversation engine as a process restarted with these keys
    would build it."""
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    questionnaires = load_questionnaires() | {"small": load_questionnaire(path)}
    with db.transaction() as session:
        admin = create_administration(session, "BF", "Douanes", "UTC", ["en"])
        create_campaign(session, admin, questionnaires["small"], "2026", code="small")

    def build(key: str, *old: str) -> ConversationEngine:
        return ConversationEngine(db, questionnaires, key, clock=clock, languages=lambda: ["en"],
                                  old_secret_keys=old)  # fmt: skip

    return build


def _count(db, model, *where) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _halfway(engine: ConversationEngine, user_id: str) -> Person:
    person = Person(engine, user_id, language_hint="en")
    person.join("small")
    person.press("Broker")  # the first question (a demographic) answered
    assert person.question == "a1"
    return person


def _finish(engine: ConversationEngine, user_id: str) -> Person:
    person = Person(engine, user_id, language_hint="en")
    person.join("small")
    person.answer_everything()
    assert "Thank you" in person.text()
    return person


# -- settings --------------------------------------------------------------------------------


def test_old_keys_are_read_from_the_environment_newest_first(monkeypatch):
    monkeypatch.setenv("CIPS_SECRET_KEY", NEW)
    monkeypatch.setenv("CIPS_OLD_SECRET_KEYS", f" {OLD} , older,,{NEW},{OLD}")
    settings = load_settings()
    assert settings.old_secret_keys == (OLD, "older")  # blanks, repeats and the current one out
    assert settings.secret_keys == (NEW, OLD, "older")
    monkeypatch.delenv("CIPS_OLD_SECRET_KEYS")
    assert load_settings().secret_keys == (NEW,)


# -- tokens ----------------------------------------------------------------------------------


def test_an_address_encrypted_under_the_old_key_is_read_after_the_rotation():
    token = ChatCipher(OLD).encrypt(55512345)
    rotated = ChatCipher(NEW, [OLD])
    assert rotated.decrypt(token) == "55512345"
    assert not rotated.is_current(token)
    fresh = rotated.encrypt(55512345)
    assert rotated.is_current(fresh) and ChatCipher(NEW).decrypt(fresh) == "55512345"
    with pytest.raises(ValueError, match="CIPS_OLD_SECRET_KEYS"):
        ChatCipher(NEW).decrypt(token)  # the old key dropped: a clear error, not garbage
    again = rotated.rotate(token)
    assert ChatCipher(NEW).decrypt(again) == "55512345"  # readable without the old key


# -- the engine ------------------------------------------------------------------------------


def test_a_respondent_mid_survey_goes_on_after_the_rotation(db, engines):
    person = _halfway(engines(OLD), "u1")
    with db.sessions() as session:
        respondent_id = session.scalar(select(Respondent.id))

    person.engine = engines(NEW, OLD)  # every process restarted with the new key
    person.press("Agree")  # a1, from the card they had on screen
    assert person.question == "asked"  # went on where they were, not restarted
    assert _count(db, Respondent) == 1
    assert _count(db, Answer, Answer.respondent_id == respondent_id) == 2
    with db.sessions() as session:  # found under the old key, the hash is now the new one's
        assert session.scalar(select(Contact.user_hash)) == user_hash(NEW, "test", "u1")
    person.answer_everything()
    assert "Thank you" in person.text()
    assert _count(db, Respondent, Respondent.status == "completed") == 1


def test_a_respondent_mid_survey_resumes_with_start_after_the_rotation(db, engines):
    _halfway(engines(OLD), "u1")
    again = Person(engines(NEW, OLD), "u1", language_hint="en")
    again.command("start", "small")  # the deep link again, as after days away
    assert again.question == "a1"
    assert _count(db, Contact) == 1 and _count(db, Respondent) == 1


def test_a_person_who_finished_before_the_rotation_is_refused_after_it(db, engines):
    old = engines(OLD)
    _finish(old, "waiting")  # finished, waiting for the seal: the mark is on the response
    sealed = [_finish(old, f"s{n}") for n in range(K - 1)]
    assert sealing.seal_ready(db, K) == K  # ... and these five sealed, marks in participations
    _finish(old, "late")  # finished after the seal, waits for the next one
    assert _count(db, Participation) == K and _count(db, Respondent) == 1

    new = engines(NEW, OLD)
    for user_id in ("s0", "late"):
        again = Person(new, user_id, language_hint="en")
        again.command("start", "small")
        assert "already taken part" in again.text(), user_id
    assert sealed and _count(db, Contact) == 0 and _count(db, Respondent) == 1
    # Marks are not rewritten under the new key (that would date a return among a sealed
    # batch's marks): the sealed ones stay exactly as sealing wrote them.
    with db.sessions() as session:
        marks = set(session.scalars(select(Participation.mark)))
    assert participation_mark(OLD, "small", "test", "s0") in marks
    # Someone new after the rotation gets a mark under the new key.
    _finish(new, "newcomer")
    assert participation_mark(NEW, "small", "test", "newcomer") in _marks_waiting(db)


def _marks_waiting(db) -> set[str]:
    with db.sessions() as session:
        return set(session.scalars(select(Respondent.mark)))


def test_the_old_key_dropped_too_early_ends_the_conversation_plainly(db, engines):
    """Documented behaviour (README): without the old key, the person is unknown; their button
    says the conversation has ended, and what they answered stays, to be sealed at close."""
    person = _halfway(engines(OLD), "u1")
    _finish(engines(OLD), "done")
    answers = _count(db, Answer)
    person.engine = engines(NEW)
    person.press("Agree")
    assert "no longer works" in person.text()
    assert _count(db, Answer) == answers  # not taken
    assert _count(db, Contact) == 1 and _count(db, Respondent) == 2  # nothing deleted
    # ... and the duplicate check cannot find those who finished under the dropped key.
    again = Person(engines(NEW), "done", language_hint="en")
    again.command("start", "small")
    assert "already taken part" not in again.text()


# -- cips keys rotate ------------------------------------------------------------------------


def test_rotate_encrypts_contacts_and_outbox_again_under_the_new_key(db, engines, monkeypatch):
    old = engines(OLD)
    for user_id in ("u1", "u2"):
        _halfway(old, user_id)
    with db.engine.begin() as connection:
        enqueue(connection, ChatCipher(OLD), "u1", [{"text": "one"}, {"text": "two"}])
    new = ChatCipher(NEW, [OLD])

    done = rotate_tokens(db, new, batch=1)  # batch=1: every page of the walk taken
    assert (done.contacts, done.outbox, done.unreadable) == (2, 2, 0)
    with db.sessions() as session:
        tokens = [*session.scalars(select(Contact.chat_secret)),
                  *session.scalars(select(Outbox.chat_secret))]  # fmt: skip
    readable = sorted(ChatCipher(NEW).decrypt(t) for t in tokens)  # the old key not needed
    assert readable == ["u1", "u1", "u1", "u2"]
    assert rotate_tokens(db, new) == type(done)()  # a second run has nothing to do
    assert open_campaigns(db, dt.datetime.now(dt.UTC)) == ["small"]


def test_rotate_without_the_old_key_says_so_and_deletes_nothing(db, engines, monkeypatch):
    _halfway(engines(OLD), "u1")
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("CIPS_SECRET_KEY", NEW)
    monkeypatch.delenv("CIPS_OLD_SECRET_KEYS", raising=False)
    with db.sessions() as session:
        before = session.scalar(select(Contact.chat_secret))

    result = run_cips("keys", "rotate", ok=False)
    assert result.exit_code == 1
    assert "1 conversation(s) and 0 message(s)" in result.output
    assert "Put it back in CIPS_OLD_SECRET_KEYS" in result.output
    with db.sessions() as session:
        assert session.scalar(select(Contact.chat_secret)) == before  # untouched

    monkeypatch.setenv("CIPS_OLD_SECRET_KEYS", OLD)
    result = run_cips("keys", "rotate")
    assert "1 conversation(s) under way" in result.output
    assert "until these campaigns have closed" in result.output and "small" in result.output
    with db.sessions() as session:
        assert ChatCipher(NEW).decrypt(session.scalar(select(Contact.chat_secret))) == "u1"


def test_the_last_reply_of_the_engine_is_a_question_after_rotation_and_rotate(db, engines):
    """`cips keys rotate` while someone is mid-survey, then their next answer: both keys kept,
    the rewritten address and the old hash still lead to their conversation."""
    person = _halfway(engines(OLD), "u1")
    rotate_tokens(db, ChatCipher(NEW, [OLD]))
    person.engine = engines(NEW, OLD)
    person.press("Agree")
    assert person.replies[-1].kind is ReplyKind.QUESTION and person.question == "asked"


# -- the web ---------------------------------------------------------------------------------


def test_a_cookie_signed_under_the_old_key_is_still_read_after_the_rotation(
    db, database_url, monkeypatch
):
    """The web's cookies (the session: language, the local chat page's person, the sign-in)
    signed before the rotation are verified with the old key's derived key (Flask's
    SECRET_KEY_FALLBACKS); once the old key is dropped they are ignored, never misread."""
    from web import create_app

    overrides = {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False}

    def restarted(key: str, *old_keys: str):
        monkeypatch.setenv("CIPS_SECRET_KEY", key)
        monkeypatch.setenv("CIPS_OLD_SECRET_KEYS", ",".join(old_keys))
        return create_app(overrides)

    apps = [restarted(OLD)]
    try:
        before = apps[0].test_client()
        before.get("/language/fr")  # a choice kept in the signed session cookie
        assert '<html lang="fr"' in before.get("/login").text
        cookie = before.get_cookie("cips_session").value
        for old_keys, language in (((OLD,), "fr"), ((), "en")):
            apps.append(restarted(NEW, *old_keys))
            client = apps[-1].test_client()
            client.set_cookie("cips_session", cookie)
            assert f'<html lang="{language}"' in client.get("/login").text, old_keys
    finally:
        for app in apps:
            app.extensions["cips"].db.dispose()


# -- the bot, as a process restarted with the new key ---------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_bot_restarted_with_the_new_key_carries_the_conversation_on(database_url, tmp_path):
    fake = FakeTelegram(Pace(rate=120, burst=12, overall=None)).start()
    fast = {"CIPS_CHAT_RATE": "100", "CIPS_CHAT_BURST": "10", "CIPS_SEND_RATE": "0"}
    prepare_database(database_url, {"off": "cips-officials"})
    bot = BotProcess(fake, database_url, tmp_path, **fast, CIPS_SECRET_KEY=OLD).start()
    try:
        person = Participant(fake.user(760_000_001, "en"))
        person.join("off")
        for _ in range(3):
            assert person.step()
        assert bot.stop() == 0
        bot = BotProcess(fake, database_url, tmp_path, **fast, CIPS_SECRET_KEY=NEW,
                         CIPS_OLD_SECRET_KEYS=OLD).start()  # fmt: skip
        person.finish()  # from the question on screen to the thanks
    finally:
        bot.stop()
        fake.stop()
    with bot.database() as db, db.sessions() as session:
        statuses = list(session.scalars(select(Respondent.status)))
        answered = session.scalar(select(func.count()).select_from(Answer))
        assert session.scalar(select(Contact.id).limit(1)) is None
    assert statuses == ["completed"] and answered == person.answers

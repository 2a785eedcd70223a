"""The real bot process, end to end over HTTP, against the fake Telegram Bot API."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.render import RIGHT_TO_LEFT_MARK
from survey.i18n import translations
from survey.storage import Database
from survey.storage.models import Answer, Contact, Outbox, Respondent, RespondentStatus
from tests.bot_harness import (
    LANGUAGES,
    BotProcess,
    Participant,
    assert_no_identifiers,
    prepare_database,
    question_of,
    running,
)
from tests.fake_telegram import ApiError, FakeTelegram, Pace
from tests.postgres_server import free_port

# Telegram's pace scaled up, so that a test run takes seconds; test_pace_* uses the real one.
FAST = {"CIPS_CHAT_RATE": "100", "CIPS_CHAT_BURST": "10", "CIPS_SEND_RATE": "0"}
FAST_PACE = Pace(rate=120, burst=12)
CAMPAIGNS = {"off": "cips-officials", "priv": "cips-private-sector"}
# The storage behaviour under the bot runs on both databases in the two big tests; the channel's
# own behaviour is the same on either, and runs on SQLite.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def fake():
    server = FakeTelegram(FAST_PACE).start()
    yield server
    server.stop()


@pytest.fixture
def bot_factory(fake, database_url, tmp_path: Path):
    prepare_database(database_url, CAMPAIGNS)
    started: list[BotProcess] = []

    def start(**env: str) -> BotProcess:
        process = BotProcess(fake, database_url, tmp_path, **{**FAST, **env}).start()
        started.append(process)
        return process

    yield start
    for process in started:
        assert process.stop() in (0, -9), process.log_text()


def _run_all(participants: list[Participant], code_of) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(participant: Participant) -> None:
        try:
            participant.join(code_of(participant))
            participant.finish()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in participants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return errors


def _responses(url: str) -> list[dict[str, str]]:
    db = Database(url)
    with db.sessions() as session:
        rows = session.execute(select(Answer.respondent_id, Answer.question_id, Answer.value))
        by_respondent: dict[str, dict[str, str]] = {}
        for respondent_id, question_id, value in rows:
            by_respondent.setdefault(respondent_id, {})[question_id] = value
        statuses = dict(session.execute(select(Respondent.id, Respondent.status)).all())
    db.dispose()
    assert all(s == RespondentStatus.COMPLETED for s in statuses.values()), statuses
    return list(by_respondent.values())


def _english_leaks(transcript: str, language: str) -> list[str]:
    """English source texts showing in a transcript in another language."""
    catalog = translations(language)._catalog
    leaks = []
    for key, translated in catalog.items():
        msgid = key.split("\x04")[-1] if isinstance(key, str) else key[0]
        long_enough = isinstance(msgid, str) and len(msgid) >= 12
        if long_enough and translated != msgid and msgid in transcript:
            leaks.append(msgid)
    return leaks


def test_five_languages_both_questionnaires_concurrently(fake, bot_factory, database_url):
    bot = bot_factory()
    participants = []
    for i, language in enumerate(LANGUAGES):
        for j, code in enumerate(CAMPAIGNS):
            user = fake.user(710_000_000 + 10 * i + j, language)
            participant = Participant(user, seed=i * 7 + j)
            participant.code = code
            participants.append(participant)
    errors = _run_all(participants, lambda p: p.code)
    assert not errors, errors

    responses = _responses(database_url)
    assert _normalised(responses) == _normalised([p.given for p in participants])
    for participant in participants:
        language = participant.user.language_code
        transcript = "\n".join(m.text for m in participant.user.messages)
        assert participant.answers > 30
        if language != "en":
            assert _english_leaks(transcript, language) == []
        if language == "ar":
            for message in participant.user.messages:
                assert all(line.startswith(RIGHT_TO_LEFT_MARK) for line in message.text.split("\n"))
        # Answered questions were edited to show the choice, without buttons.
        edited = [m for m in participant.user.messages if m.edits]
        assert len(edited) >= participant.answers
        assert all(not m.keyboard for m in edited)
    assert len(fake.answered_callbacks) >= sum(p.answers for p in participants) - 2 * len(
        participants
    )
    bot.stop()
    assert_no_identifiers(database_url, bot.log_text(), [p.user.id for p in participants])


@SQLITE_ONLY
def test_a_killed_database_worker_is_replaced_and_nothing_is_lost(fake, bot_factory, database_url):
    bot = bot_factory()
    participants = [Participant(fake.user(760_000_000 + i, "en"), seed=i) for i in range(6)]
    outcome: list[list[BaseException]] = []
    runner = threading.Thread(
        target=lambda: outcome.append(_run_all(participants, lambda p: "off"))
    )
    runner.start()
    fake.wait_until(lambda: sum(p.answers for p in participants) >= 60, timeout=60)
    [worker] = bot.children()
    os.kill(worker, signal.SIGKILL)
    runner.join(300)
    assert outcome == [[]], bot.log_text()

    assert worker not in bot.children()  # another took its place
    assert "a database worker stopped" in bot.log_text()
    assert _normalised(_responses(database_url)) == _normalised([p.given for p in participants])


@SQLITE_ONLY
def test_redelivered_updates_and_double_taps_change_nothing(fake, bot_factory, database_url):
    bot_factory()
    user = fake.user(720_000_001, "en")
    participant = Participant(user, seed=1)
    participant.join("off")
    for _ in range(5):
        participant.step()

    # Everything this person ever sent, handed out again by Telegram.
    count = len(user.messages)
    user.redeliver()
    fake.wait_until(lambda: fake.pending_updates() == 0)
    # A double tap: the answer pressed a second time on the question just answered.
    question = participant.current
    qid = question_of(question)
    participant.step()
    count = len(user.messages)
    user.tap(f"a|{qid}|{participant.given[qid]}", question)
    fake.wait_until(lambda: fake.pending_updates() == 0)
    time.sleep(1.0)  # anything extra the bot might (wrongly) send arrives meanwhile
    assert len(user.messages) == count
    participant.finish()
    assert _normalised(_responses(database_url)) == _normalised([participant.given])


def _normalised(responses: list[dict[str, str]]) -> list[list[tuple[str, str]]]:
    return sorted(sorted(r.items()) for r in responses)


def test_killed_mid_run_and_restarted_everyone_finishes_nothing_lost(
    fake, bot_factory, database_url
):
    bot = bot_factory()
    participants = [
        Participant(fake.user(730_000_000 + i, LANGUAGES[i % 5]), seed=i) for i in range(24)
    ]
    outcome: list[list[BaseException]] = []
    runner = threading.Thread(
        target=lambda: outcome.append(_run_all(participants, lambda p: "off"))
    )
    runner.start()
    fake.wait_until(lambda: sum(p.answers for p in participants) >= 400, timeout=120)
    workers = bot.children()
    assert workers  # the database work runs in worker processes
    bot.kill()
    killed_at = sum(p.answers for p in participants)
    # The workers do not outlive the bot (they would hold the database, doing nothing).
    fake.wait_until(lambda: not any(running(pid) for pid in workers), timeout=10)
    time.sleep(0.5)
    restarted = bot_factory()
    runner.join(300)
    assert outcome == [[]], outcome
    assert killed_at < sum(p.answers for p in participants)

    # Exactly the answers people gave: none lost, none twice.
    assert _normalised(_responses(database_url)) == _normalised([p.given for p in participants])
    assert restarted.stop() == 0
    db = Database(database_url)
    with db.sessions() as session:
        assert session.scalar(select(Outbox.id).limit(1)) is None  # everything was sent
        assert session.scalar(select(Contact.id).limit(1)) is None  # links erased
    db.dispose()


@SQLITE_ONLY
def test_429_is_honoured_and_nothing_is_lost(fake, bot_factory, database_url):
    bot_factory()
    user = fake.user(740_000_001, "fr")
    participant = Participant(user)
    participant.join("off")
    fake.fail(
        lambda method, params: method == "sendMessage",
        ApiError(429, "Too Many Requests: retry after 2", retry_after=2),
    )
    started = time.monotonic()
    participant.step()
    assert time.monotonic() - started >= 1.9  # the next question waited retry_after
    participant.finish()
    assert _normalised(_responses(database_url)) == _normalised([participant.given])
    counts = Counter(m.text for m in user.messages)
    assert max(counts.values()) == 1  # no message twice


@SQLITE_ONLY
def test_network_errors_are_retried(fake, bot_factory):
    bot_factory()
    user = fake.user(740_000_002, "es")
    participant = Participant(user)
    participant.join("priv")
    for _ in range(3):
        fake.fail(lambda method, params: method == "sendMessage", None)  # connection dropped
    participant.step()
    participant.step()
    assert [m.text for m in user.messages].count(user.messages[-1].text) == 1


@SQLITE_ONLY
def test_blocked_bot_marks_the_contact_unreachable(fake, bot_factory, database_url):
    bot_factory()
    user = fake.user(750_000_001, "en")
    participant = Participant(user)
    participant.join("off")
    participant.step()
    fake.blocked.add(user.id)
    calls = len(fake.calls)
    user.press(participant.current.buttons[0]["callback_data"], participant.current)
    fake.wait_until(lambda: len(fake.calls) > calls + 1)
    time.sleep(0.5)
    sends = [c for c in fake.calls[calls:] if c[0] in ("sendMessage", "editMessageText")]
    assert sends  # tried once ...
    assert len(sends) <= 2  # ... then gave up on the chat (the edit and the question)
    db = Database(database_url)
    with db.sessions() as session:
        assert session.scalar(select(Outbox.id).limit(1)) is None
    db.dispose()


@SQLITE_ONLY
def test_anything_but_the_expected_input_gets_an_explanation(fake, bot_factory):
    bot_factory()
    user = fake.user(760_000_001, "pt")
    participant = Participant(user)
    participant.join("off")
    question = participant.current

    count = len(user.messages)
    user.send_sticker()
    user.wait_for(lambda ms: len(ms) > count)
    reply = user.messages[-1]
    assert "só consegue ler texto" in reply.text or "texto" in reply.text
    assert reply.keyboard == question.keyboard  # and the question again

    count = len(user.messages)
    user.send("talvez")
    user.wait_for(lambda ms: len(ms) > count)
    assert user.messages[-1].keyboard == question.keyboard

    count = len(user.messages)
    user.send("x" * 4000)
    user.wait_for(lambda ms: len(ms) > count)
    assert user.messages[-1].keyboard == question.keyboard


@SQLITE_ONLY
def test_group_chats_are_refused(fake, bot_factory):
    bot_factory()
    user = fake.user(770_000_001, "fr")
    user.add_bot_to_group(-100123)
    fake.wait_until(lambda: -100123 in fake.chats)
    [notice] = fake.chats[-100123]
    assert "conversation privée" in notice.text
    assert not notice.keyboard


@SQLITE_ONLY
def test_command_menu_in_every_language(fake, bot_factory):
    bot_factory()
    assert set(fake.commands) >= {None, *LANGUAGES}
    for language in LANGUAGES:
        names = [c["command"] for c in fake.commands[language]]
        assert names == ["start", "language", "back", "help", "stop", "delete"]
    assert fake.commands["fr"][5]["description"] == "Supprimer vos réponses"
    assert fake.commands["ar"][5]["description"] == "حذف إجاباتك"


@SQLITE_ONLY
def test_pace_telegram_limits_with_a_short_burst(database_url, tmp_path):
    """With Telegram's real per-chat pace, the bot never gets a 429 and nothing waits long."""
    fake = FakeTelegram(Pace(rate=1, burst=4)).start()
    prepare_database(database_url, CAMPAIGNS)
    bot = BotProcess(fake, database_url, tmp_path).start()
    try:
        user = fake.user(780_000_001, "en")
        participant = Participant(user)
        participant.join("off")
        started = time.monotonic()
        for _ in range(4):
            participant.step()
        elapsed = time.monotonic() - started
        assert fake.too_many == 0
        assert 3.0 <= elapsed <= 12  # 8 messages at about one a second after a burst of 3
    finally:
        bot.stop()
        fake.stop()


@SQLITE_ONLY
def test_webhook_mode_checks_the_secret_token(fake, database_url, tmp_path):
    prepare_database(database_url, CAMPAIGNS)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    bot = BotProcess(fake, database_url, tmp_path, **FAST)
    bot.command += ["--webhook", url, "--listen", "127.0.0.1", "--port", str(port)]
    bot.start()
    try:
        fake.wait_until(lambda: fake.webhook is not None)
        assert fake.webhook["url"] == url
        secret = fake.webhook["secret_token"]
        user = fake.user(795_000_001, "fr")
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": int(time.time()), "text": "/start off",
            "chat": {"id": user.id, "type": "private"}, "from": user._from,
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}  # fmt: skip

        def post(headers: dict) -> int:
            request = urllib.request.Request(url, json.dumps(update).encode(),
                                             {"Content-Type": "application/json", **headers})  # fmt: skip
            try:
                return urllib.request.urlopen(request, timeout=10).status
            except urllib.error.HTTPError as error:
                return error.code

        assert post({}) == 403
        assert post({"X-Telegram-Bot-Api-Secret-Token": "forged"}) == 403
        time.sleep(0.5)
        assert user.messages == []  # forged calls did nothing
        assert post({"X-Telegram-Bot-Api-Secret-Token": secret}) == 200
        user.wait_for(lambda ms: len(ms) == 1)
        assert "Voulez-vous participer" in user.messages[0].text or user.messages[0].keyboard
        assert post({"X-Telegram-Bot-Api-Secret-Token": secret}) == 200  # Telegram retrying
        time.sleep(0.5)
        assert len(user.messages) == 1  # ... changes nothing
    finally:
        bot.stop()

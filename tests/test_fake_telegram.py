"""The fake Bot API itself (tests/fake_telegram/), over HTTP: Telegram's documented answers and
limits, and the record of what it served. The bot tests are only as strict as this fake."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.fake_telegram import TOKEN, ApiError, FakeTelegram, Pace

NO_LIMITS = Pace(rate=0, overall=None)


@pytest.fixture
def fake():
    servers: list[FakeTelegram] = []

    def start(pace: Pace = NO_LIMITS) -> FakeTelegram:
        servers.append(FakeTelegram(pace).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def api(fake: FakeTelegram, method: str, form: bool = False, token: str = TOKEN, **params):
    """Call the fake as a bot would: (HTTP status, decoded answer)."""
    if form:
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        body, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    else:
        body, kind = json.dumps(params).encode(), "application/json"
    request = urllib.request.Request(f"{fake.url}/bot{token}/{method}", body,
                                     {"Content-Type": kind})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def keyboard(*data: str) -> dict:
    return {"inline_keyboard": [[{"text": f"button {i}", "callback_data": d}]
                                for i, d in enumerate(data)]}  # fmt: skip


def test_a_message_reaches_the_chat_and_comes_back_as_telegram_returns_it(fake):
    fake = fake()
    user = fake.user(11)
    user.send("/start")
    status, body = api(fake, "sendMessage", chat_id=11, text="Hello", reply_markup=keyboard("a|1"))
    assert status == 200 and body["ok"]
    assert body["result"]["chat"]["id"] == 11 and body["result"]["text"] == "Hello"
    [message] = user.messages
    assert (message.text, message.button("a|1")["text"]) == ("Hello", "button 0")
    # The same call form-encoded (python-telegram-bot's own encoding), the method's name in
    # another case: Telegram takes both.
    status, body = api(fake, "SENDMESSAGE", form=True, chat_id=11, text="Again",
                       reply_markup=keyboard("b"))  # fmt: skip
    assert status == 200 and user.messages[-1].keyboard == keyboard("b")["inline_keyboard"]
    # Message ids count per chat (the person's /start was 1).
    assert [m.message_id for m in fake.chat(11)] == [1, 2, 3]
    assert api(fake, "sendMessage", chat_id=12, text="Who?") == (
        400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    )  # fmt: skip
    assert api(fake, "getMe", token="1:other")[0] == 401
    assert api(fake, "sendPigeon", chat_id=11)[0] == 404


def test_over_the_chat_pace_429_with_retry_after_and_nothing_delivered(fake):
    fake = fake(Pace(rate=4, burst=2, overall=None))
    user = fake.user(21)
    user.send("hi")
    assert api(fake, "sendMessage", chat_id=21, text="one")[0] == 200
    assert api(fake, "sendMessage", chat_id=21, text="two")[0] == 200
    status, body = api(fake, "sendMessage", chat_id=21, text="three")
    assert status == 429
    assert body == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1}}  # fmt: skip
    assert [m.text for m in user.messages] == ["one", "two"]
    assert fake.too_many == 1
    assert [(s.method, s.chat, s.outcome, s.retry_after) for s in fake.served] == [
        ("sendMessage", 21, "ok", None), ("sendMessage", 21, "ok", None),
        ("sendMessage", 21, 429, 1),
    ]  # fmt: skip
    # Another chat has a bucket of its own; answering a callback query is not a message.
    other = fake.user(22)
    other.send("hi")
    assert api(fake, "sendMessage", chat_id=22, text="one")[0] == 200
    user.tap("x", user.messages[0])
    [query] = fake.queries
    assert api(fake, "answerCallbackQuery", callback_query_id=query)[0] == 200
    time.sleep(0.3)  # refilled: four tokens a second
    assert api(fake, "sendMessage", chat_id=21, text="four")[0] == 200


def test_over_the_overall_limit_429_and_the_window_counts(fake):
    fake = fake(Pace(rate=0, overall=3, window=0.3))
    users = [fake.user(30 + i) for i in range(4)]
    for user in users:
        user.send("hi")
    for user in users[:3]:
        assert api(fake, "sendMessage", chat_id=user.id, text="news")[0] == 200
    status, body = api(fake, "sendMessage", chat_id=users[3].id, text="news")
    assert (status, body["parameters"]["retry_after"]) == (429, 1)  # whole seconds, at least 1
    assert users[3].messages == []
    assert fake.max_in_window(0.3) == 3
    time.sleep(0.35)
    assert api(fake, "sendMessage", chat_id=users[3].id, text="news")[0] == 200
    assert fake.max_in_window(0.3) == 3
    assert fake.max_in_window(10) == 4  # refused calls are not delivered messages
    assert fake.max_in_window(10, chat=users[3].id) == 1


def test_max_in_window_counts_sends_and_edits_within_any_window(fake):
    fake = fake()
    user = fake.user(41)
    user.send("hi")
    for text in ("a", "b", "c"):
        assert api(fake, "sendMessage", chat_id=41, text=text)[0] == 200
    time.sleep(0.3)
    message_id = user.messages[0].message_id
    assert api(fake, "editMessageText", chat_id=41, message_id=message_id, text="a2")[0] == 200
    assert api(fake, "editMessageText", chat_id=41, message_id=message_id, text="a2")[0] == 400
    assert fake.max_in_window(0.2) == 3
    assert fake.max_in_window(1.0) == 4
    assert fake.max_in_window(1.0, chat=99) == 0


def test_a_blocked_bot_gets_403_and_the_bot_is_told(fake):
    fake = fake()
    user = fake.user(51)
    user.send("/start")
    blocked = user.block_bot()
    status, body = api(fake, "sendMessage", chat_id=51, text="Still there?")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    status, body = api(fake, "getUpdates", offset=0)
    [_, kicked] = body["result"]
    assert kicked["update_id"] == blocked
    member = kicked["my_chat_member"]
    assert member["chat"] == {"id": 51, "type": "private", "first_name": "User51"}
    assert (member["old_chat_member"]["status"], member["new_chat_member"]["status"]) == (
        "member", "kicked"
    )  # fmt: skip
    unblocked = user.unblock_bot()
    assert api(fake, "sendMessage", chat_id=51, text="Welcome back")[0] == 200
    status, body = api(fake, "getUpdates", offset=blocked + 1)
    [member] = body["result"]
    assert member["update_id"] == unblocked
    assert member["my_chat_member"]["new_chat_member"]["status"] == "member"


def test_edits_not_modified_and_not_found(fake):
    fake = fake()
    user = fake.user(61)
    user.send("/start")
    api(fake, "sendMessage", chat_id=61, text="Question", reply_markup=keyboard("a|q|1"))
    [message] = user.messages
    same = {"chat_id": 61, "message_id": message.message_id, "text": "Question"}
    status, body = api(fake, "editMessageText", **same, reply_markup=keyboard("a|q|1"))
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified: ")
    # Without reply_markup the buttons go: that is a change.
    assert api(fake, "editMessageText", **same)[0] == 200
    assert (message.keyboard, message.edits) == ([], 1)
    assert api(fake, "editMessageText", chat_id=61, message_id=99, text="x")[1]["description"] == (
        "Bad Request: message to edit not found"
    )  # fmt: skip
    person = fake.chat(61)[0]
    assert not person.from_bot
    assert api(fake, "editMessageText", chat_id=61, message_id=person.message_id, text="x")[1][
        "description"
    ] == "Bad Request: message can't be edited"  # fmt: skip


def test_text_length_in_utf16_code_units_and_empty_text(fake):
    fake = fake()
    fake.user(71).send("/start")

    def send(text: str) -> tuple[int, str]:
        status, body = api(fake, "sendMessage", chat_id=71, text=text)
        return status, body.get("description", "")

    too_long = (400, "Bad Request: message is too long")
    assert send("x" * 4096)[0] == 200
    assert send("x" * 4097) == too_long
    assert send("😀" * 2048)[0] == 200  # two UTF-16 code units each
    assert send("😀" * 2049) == too_long  # 2049 characters, 4098 code units
    assert send("") == (400, "Bad Request: message text is empty")
    assert send(" \n ") == (400, "Bad Request: message text is empty")


def test_callback_data_over_64_bytes_is_refused(fake):
    fake = fake()
    fake.user(81).send("/start")

    def send(data: str) -> tuple[int, str]:
        status, body = api(fake, "sendMessage", chat_id=81, text="Q", reply_markup=keyboard(data))
        return status, body.get("description", "")

    assert send("a" * 64)[0] == 200
    assert send("a" * 65) == (400, "Bad Request: BUTTON_DATA_INVALID")
    assert send("é" * 33) == (400, "Bad Request: BUTTON_DATA_INVALID")  # 66 bytes
    assert len(fake.chat(81)) == 2  # the /start and the one accepted


def test_get_updates_offsets_limits_long_polling_and_one_poller(fake):
    fake = fake()
    user = fake.user(91)
    ids = [user.send(f"m{i}") for i in range(3)]
    assert [u["update_id"] for u in api(fake, "getUpdates", limit=2)[1]["result"]] == ids[:2]
    assert [u["update_id"] for u in api(fake, "getUpdates", offset=ids[1])[1]["result"]] == ids[1:]
    assert fake.pending_updates() == 2  # the first is confirmed and forgotten
    assert fake.confirmed(ids[0]) and not fake.confirmed(ids[1])
    api(fake, "getUpdates", offset=ids[2] + 1)
    assert fake.confirmed(ids[1]) and fake.confirmed(ids[2])

    # A long poll answers as soon as an update comes.
    answers = []
    poll = threading.Thread(target=lambda: answers.append(
        api(fake, "getUpdates", offset=ids[2] + 1, timeout=10)))  # fmt: skip
    started = time.monotonic()
    poll.start()
    fake.wait_until(lambda: any(s.outcome == "pending" for s in fake.served))
    late = user.send("late")
    poll.join(10)
    assert time.monotonic() - started < 5
    assert [u["update_id"] for u in answers[0][1]["result"]] == [late]

    # A second poller ends the first one (409), as Telegram does.
    first = threading.Thread(target=lambda: answers.append(
        api(fake, "getUpdates", offset=late + 1, timeout=10)))  # fmt: skip
    first.start()
    fake.wait_until(lambda: sum(s.outcome == "pending" for s in fake.served) == 1)
    assert api(fake, "getUpdates", offset=late + 1, timeout=0)[0] == 200
    first.join(10)
    assert answers[1][0] == 409
    # No getUpdates while a webhook is set.
    assert (
        api(fake, "setWebhook", url="https://example.org/hook", secret_token="s3cr-et_")[0] == 200
    )
    assert api(fake, "getUpdates")[0] == 409
    assert api(fake, "deleteWebhook")[0] == 200
    assert api(fake, "getUpdates")[0] == 200


def test_redelivered_updates_are_handed_out_again_and_confirmed_by_a_later_offset(fake):
    fake = fake()
    user = fake.user(95)
    sent = user.send("once")
    api(fake, "getUpdates")
    api(fake, "getUpdates", offset=sent + 1)
    assert fake.confirmed(sent)
    user.redeliver()
    assert not fake.confirmed(sent)  # handed out again, not confirmed since
    result = api(fake, "getUpdates", offset=sent + 1)[1]["result"]
    assert [u["update_id"] for u in result] == [sent]
    api(fake, "getUpdates", offset=sent + 1)
    assert fake.confirmed(sent) and fake.pending_updates() == 0


def test_allowed_updates_and_callback_queries_answered_once(fake):
    fake = fake()
    user = fake.user(97)
    api(fake, "getUpdates", allowed_updates=["callback_query"])
    user.send("dropped: not a callback query")
    api(fake, "sendMessage", chat_id=97, text="Q", reply_markup=keyboard("a"))
    tapped = user.press("a")
    [update] = api(fake, "getUpdates")[1]["result"]
    assert update["update_id"] == tapped
    query = update["callback_query"]
    assert query["data"] == "a" and query["message"]["text"] == "Q"
    assert api(fake, "answerCallbackQuery", callback_query_id=query["id"])[0] == 200
    assert api(fake, "answerCallbackQuery", callback_query_id=query["id"])[0] == 400
    assert fake.answered_callbacks == [query["id"]]
    assert fake.served_calls("answerCallbackQuery")[0].chat == 97


def test_injected_faults_are_served_and_recorded(fake):
    fake = fake()
    fake.user(99).send("/start")
    fake.fail(lambda method, params: method == "sendMessage",
              ApiError(429, "Too Many Requests: retry after 7", retry_after=7))  # fmt: skip
    fake.fail(lambda method, params: method == "sendMessage", None)
    status, body = api(fake, "sendMessage", chat_id=99, text="a")
    assert (status, body["parameters"]) == (429, {"retry_after": 7})
    with pytest.raises(OSError):  # the connection closed without an answer
        api(fake, "sendMessage", chat_id=99, text="a")
    assert api(fake, "sendMessage", chat_id=99, text="a")[0] == 200
    served = fake.served_calls("sendMessage", chat=99)
    assert [(s.outcome, s.retry_after, s.injected) for s in served] == [
        (429, 7, True), ("dropped", None, True), ("ok", None, False)
    ]  # fmt: skip
    assert fake.too_many == 0  # the limits refused nothing
    assert fake.max_in_window(10) == 1


def test_commands_are_kept_per_language_and_checked(fake):
    fake = fake()
    commands = [{"command": "start", "description": "Start"}]
    assert api(fake, "setMyCommands", commands=commands, language_code="fr")[0] == 200
    assert api(fake, "setMyCommands", form=True, commands=commands)[0] == 200
    assert fake.commands == {"fr": commands, None: commands}
    bad = [{"command": "Start-Now", "description": "x"}]
    assert api(fake, "setMyCommands", commands=bad)[1]["description"] == (
        "Bad Request: BOT_COMMAND_INVALID"
    )  # fmt: skip

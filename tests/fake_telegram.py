"""Telegram, as the bot tests see it: the Bot API over real HTTP, and the people who chat.

The real bot process (`cips bot`, TELEGRAM_API_URL pointing here) talks to `FakeTelegram` as it
would to api.telegram.org; tests play Telegram users through `FakeUser` (type text and commands,
send stickers, press buttons, block the bot, add it to a group) and read each chat as the person
would see it.

This module is written from Telegram's documentation (core.telegram.org/bots/api, and the
bots FAQ for the limits) and imports nothing from the product: a mistake the product makes about
Telegram is not repeated here, so the tests can catch it. Implemented as documented:

- getMe; getUpdates with long polling (`timeout`), `offset` (an update is confirmed, and
  forgotten, once getUpdates is called with an offset higher than its id; a negative offset
  keeps the last updates), `limit` (1-100) and `allowed_updates` (applies to updates created
  after the call; by default all but chat_member and reactions); 409 Conflict while a webhook
  is set, and to a long poll that a newer getUpdates replaced; setWebhook and deleteWebhook
  (with drop_pending_updates; updates are not pushed to the webhook: a test posts them);
- sendMessage, editMessageText, answerCallbackQuery, setMyCommands;
- parameters as a JSON body, a form (urlencoded or multipart, non-string values JSON-encoded) or
  a query string; method names case-insensitive;
- answers `{"ok": false, "error_code", "description"}`: 400 "message text is empty", "message
  is too long", "BUTTON_DATA_INVALID" (callback_data over 64 bytes), "chat not found" (a chat
  nobody opened), "message to edit not found", "message can't be edited", "message is not
  modified: ..." (an edit to the same text and keyboard), "query is too old ... or query ID is
  invalid" (a callback query unknown or answered already); 403 "bot was blocked by the user";
  429 "Too Many Requests: retry after N" with `parameters.retry_after`; 401 for another token,
  404 for an unknown method.

Text length: Telegram allows 4096 characters "after entities parsing" and measures entities in
UTF-16 code units; the length here is in UTF-16 code units too (a character outside the Basic
Multilingual Plane, such as most emoji, counts two), the stricter of the two readings, so text
this fake accepts Telegram accepts. Entities are not parsed (the bot sends plain text).

Limits (the FAQ: "avoid sending more than one message per second" in a chat, "not more than 30
messages per second" overall), enforced and counted as `Pace` says: per chat a token bucket
(`burst` at once, then `rate` a second), and at most `overall` messages from all chats together
in any `window` seconds. Messages are sendMessage and editMessageText; answering a callback
query is not one. Over a limit the call is answered 429 with retry_after (whole seconds, at least
one) and nothing is delivered.

Every call is recorded in `served` (monotonic time of arrival, method, chat, outcome), injected
faults included, so that a test can check what the bot did and when (`max_in_window`,
`confirmed`), not only what the chats ended with.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

__all__ = [
    "TOKEN",
    "ApiError",
    "ChatMessage",
    "FakeTelegram",
    "FakeUser",
    "Pace",
    "Served",
]

TOKEN = "123456:TEST-TOKEN"
BOT_USER = {"id": 999000111, "is_bot": True, "first_name": "CIPS", "username": "cips_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}  # fmt: skip
MAX_TEXT = 4096  # UTF-16 code units, see the module's docstring
MAX_CALLBACK_DATA = 64  # bytes
MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText"})  # what the limits count
# Update types getUpdates leaves out unless asked for by name.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
INTEGER_FIELDS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout"})
JSON_FIELDS = frozenset({"reply_markup", "commands", "allowed_updates", "scope", "entities"})
BOOLEAN_FIELDS = frozenset({"drop_pending_updates", "show_alert", "disable_notification"})
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description, and retry_after for a 429."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict:
        body = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass(frozen=True)
class Pace:
    """Telegram's limits as the fake enforces them.

    Per chat, a token bucket: `burst` messages at once, then `rate` a second (0: no limit). All
    chats together: at most `overall` messages in any `window` seconds (None: no limit).
    """

    rate: float = 1.0
    burst: float = 4.0
    overall: int | None = 30
    window: float = 1.0


@dataclass
class ChatMessage:
    """A message as the person sees it in the chat (edits applied in place)."""

    message_id: int
    from_bot: bool
    text: str
    keyboard: list[list[dict]] = field(default_factory=list)
    edits: int = 0

    @property
    def buttons(self) -> list[dict]:
        return [button for row in self.keyboard for button in row]

    def button(self, label: str) -> dict:
        for button in self.buttons:
            if label in (button["text"], button.get("callback_data")):
                return button
        raise LookupError(f"no button {label!r} in {self.text!r}: {self.buttons}")


@dataclass
class Served:
    """One call the fake answered (or is answering: a long poll)."""

    at: float  # time.monotonic() when the call arrived
    method: str  # as the documentation spells it
    chat: int | None  # the chat it concerns (a callback query: the presser's private chat)
    params: dict
    outcome: str | int = "pending"  # "ok", the error code answered, or "dropped"
    retry_after: int | None = None
    injected: bool = False  # a fault the test asked for (`FakeTelegram.fail`)
    returned: list[int] = field(default_factory=list)  # getUpdates: the update ids handed out

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def message(self) -> bool:
        """A call the limits count (whatever its outcome)."""
        return self.method in MESSAGE_METHODS


@dataclass(eq=False)  # kept in a set: by identity
class _Poll:
    """A getUpdates long poll waiting on the server's event loop."""

    wake: asyncio.Event
    terminated: bool = False


class FakeTelegram:
    """Telegram's side of the chats with one bot, in memory, safe across threads."""

    def __init__(self, pace: Pace | None = None, token: str = TOKEN):
        self.pace = pace or Pace()
        self.token = token
        self.bot_user = BOT_USER
        # Re-entrant: `on_bot_message` may act as a user (push an update) while a send holds it.
        self.lock = threading.Condition(threading.RLock())
        self.updates: list[dict] = []  # not yet confirmed, in update_id order
        # Ids grow across fakes too (time-based start), as Telegram's grow across a bot's life.
        self.update_ids = itertools.count(time.time_ns() // 1_000)
        self.redelivered: set[int] = set()  # handed out again whatever the bot's offset
        self.allowed_updates: set[str] | None = None  # None: all but NOT_BY_DEFAULT
        self.chats: dict[int, list[ChatMessage]] = {}  # what each chat shows, bot and people
        self.known_chats: dict[int, dict] = {}  # Chat objects of chats people opened
        self.message_ids: dict[int, itertools.count] = {}  # per chat, as in private chats
        self.blocked: set[int] = set()  # private chats whose person blocked the bot
        self.commands: dict[str | None, list[dict]] = {}  # by language_code (None: default)
        self.webhook: dict | None = None
        self.queries: dict[str, int] = {}  # callback queries not answered yet -> chat
        self.query_ids = itertools.count(4_000_000_000_000_000_001)
        self.answered_callbacks: list[str] = []
        self.faults: list[tuple[Callable[[str, dict], bool], ApiError | None]] = []
        self.served: list[Served] = []
        self.too_many = 0  # 429s answered for the limits (injected ones not counted)
        self.buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, when)
        self.recent: deque[float] = deque()  # arrival of accepted messages within `window`
        # Called (under the lock) with (chat, message, new) when the bot sends or edits.
        self.on_bot_message: Callable[[int, ChatMessage, bool], None] | None = None
        self.polls: set[_Poll] = set()
        self.closing = False
        self.http = _HttpServer(self)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.port}"

    def start(self) -> FakeTelegram:
        self.http.start()
        return self

    def stop(self) -> None:
        with self.lock:
            self.closing = True
            self._wake_polls()
            self.lock.notify_all()
        self.http.stop()

    # -- what tests do -------------------------------------------------------------------------

    def user(self, user_id: int, language_code: str | None = "en") -> FakeUser:
        return FakeUser(self, user_id, language_code)

    def fail(self, when: Callable[[str, dict], bool], error: ApiError | None) -> None:
        """The next call matching `when(method, params)` fails: answered with `error`, or (None)
        its connection is closed without an answer. Either way nothing is done, and the call is
        recorded in `served` as injected."""
        with self.lock:
            self.faults.append((when, error))

    def redeliver(self, updates: list[dict]) -> None:
        """Hand these (already confirmed) updates out again, as Telegram does when it did not
        get the confirmation: on the bot's next getUpdates, whatever its offset."""
        with self.lock:
            known = {u["update_id"] for u in self.updates}
            self.updates.extend(u for u in updates if u["update_id"] not in known)
            self.updates.sort(key=lambda u: u["update_id"])
            self.redelivered.update(u["update_id"] for u in updates)
            self._changed()

    def wait_until(self, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
        """Wait until `condition()` holds (checked on every change, and twice a second)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for the bot")
                self.lock.wait(min(left, 0.5))
        return True

    def pending_updates(self) -> int:
        """Updates not confirmed yet."""
        with self.lock:
            return len(self.updates)

    def chat(self, chat_id: int) -> list[ChatMessage]:
        with self.lock:
            return list(self.chats.get(chat_id, []))

    @property
    def calls(self) -> list[tuple[str, int | None]]:
        """(method, chat) of every call served, in order of arrival."""
        with self.lock:
            return [(s.method, s.chat) for s in self.served]

    def served_calls(
        self, method: str | None = None, chat: int | None = None, since: int = 0
    ) -> list[Served]:
        """The calls served (from index `since` of `served`), of a method and chat if given."""
        with self.lock:
            return [s for s in self.served[since:]
                    if (method is None or s.method == method) and (chat is None or s.chat == chat)]  # fmt: skip

    def max_in_window(
        self, seconds: float = 1.0, chat: int | None = None, *, tried: bool = False
    ) -> int:
        """The most messages delivered (sendMessage and editMessageText answered ok), in all
        chats or in `chat`, within any `seconds` (times of arrival less than that apart).
        `tried`: count the bot's attempts instead, refused ones included (not injected faults):
        what the bot sent, whatever the limits let through."""
        with self.lock:
            times = sorted(
                s.at
                for s in self.served
                if s.message
                and (s.ok or (tried and not s.injected))
                and (chat is None or s.chat == chat)
            )
        most, first = 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= seconds:
                first += 1
            most = max(most, last - first + 1)
        return most

    def confirmed(self, update_id: int) -> bool:
        """Whether the bot confirmed the update: a getUpdates with an offset past it arrived
        after the latest getUpdates that handed it out (so the bot has handled it)."""
        with self.lock:
            if any(u["update_id"] == update_id for u in self.updates):
                return False  # waiting to be handed out (again)
            handed = None
            for index, served in enumerate(self.served):
                if served.method == "getUpdates" and update_id in served.returned:
                    handed = index
            if handed is None:
                return False
            return any(
                s.method == "getUpdates" and (s.params.get("offset") or 0) > update_id
                for s in self.served[handed + 1 :]
            )

    # -- the people's side ---------------------------------------------------------------------

    def push_update(self, update: dict) -> dict:
        """Queue an update for the bot (given without its id); returns it with its id. Types
        left out by the bot's allowed_updates are dropped, as Telegram does."""
        with self.lock:
            update = {"update_id": next(self.update_ids), **update}
            kind = next(key for key in update if key != "update_id")
            allowed = self.allowed_updates
            if kind in allowed if allowed is not None else kind not in NOT_BY_DEFAULT:
                self.updates.append(update)
            self._changed()
            return update

    def open_chat(self, chat: dict) -> None:
        """A chat exists for the Bot API once a person has written in it (or added the bot)."""
        with self.lock:
            self.known_chats.setdefault(chat["id"], chat)
            self.message_ids.setdefault(chat["id"], itertools.count(1))

    def new_message_id(self, chat_id: int) -> int:
        return next(self.message_ids.setdefault(chat_id, itertools.count(1)))

    def keep(self, chat_id: int, message: ChatMessage) -> None:
        self.chats.setdefault(chat_id, []).append(message)

    def new_query_id(self, chat_id: int) -> str:
        with self.lock:
            query_id = str(next(self.query_ids))
            self.queries[query_id] = chat_id
            return query_id

    def message_json(self, chat_id: int, message: ChatMessage, *, edited: bool = False) -> dict:
        """A message as the Bot API returns it (and as a callback query carries it)."""
        result = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.known_chats.get(chat_id, {"id": chat_id, "type": "private"}),
            "text": message.text,
        }
        if message.from_bot:
            result["from"] = self.bot_user
        if edited:
            result["edit_date"] = int(time.time())
        if message.keyboard:
            result["reply_markup"] = {"inline_keyboard": message.keyboard}
        return result

    # -- serving a call ------------------------------------------------------------------------

    def arrive(self, method: str, params: dict) -> tuple[Served, ApiError | bool | None]:
        """Record a call; and the fault to deliver instead (an ApiError, None to drop the
        connection), or False for none."""
        with self.lock:
            served = Served(time.monotonic(), method, _chat_of_call(self, method, params), params)
            self.served.append(served)
            self.lock.notify_all()
            for index, (when, error) in enumerate(self.faults):
                if when(method, params):
                    del self.faults[index]
                    served.injected = True
                    self._answered(served, error if error is not None else "dropped")
                    return served, error
            return served, False

    def serve(self, served: Served) -> object:
        """Answer a call at once (every method but a waiting getUpdates); raises ApiError."""
        with self.lock:
            try:
                handler = getattr(self, f"_api_{served.method}", None)
                if handler is None:
                    raise ApiError(404, "Not Found")
                result = handler(served)
            except ApiError as error:
                self._answered(served, error)
                raise
            self._answered(served, None)
            return result

    async def get_updates(self, served: Served) -> list[dict]:
        """getUpdates: at once if there are updates (or no timeout), else when one comes."""
        params = served.params
        timeout = max(float(params.get("timeout") or 0), 0.0)
        deadline = time.monotonic() + timeout
        poll = _Poll(asyncio.Event())
        with self.lock:
            try:
                if self.webhook is not None:
                    raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                        "active; use deleteWebhook to delete the webhook first")  # fmt: skip
                for other in self.polls:  # one poll at a time: the older one is answered 409
                    other.terminated = True
                self._wake_polls()
                self._confirm(params)
            except ApiError as error:
                self._answered(served, error)
                raise
            self.polls.add(poll)
        try:
            while True:
                with self.lock:
                    if poll.terminated:
                        error = ApiError(409, "Conflict: terminated by other getUpdates request; "
                                              "make sure that only one bot instance is running")  # fmt: skip
                        self._answered(served, error)
                        raise error
                    limit = min(max(int(params.get("limit") or 100), 1), 100)
                    batch = self.updates[:limit]
                    left = deadline - time.monotonic()
                    if batch or left <= 0 or self.closing:
                        served.returned = [u["update_id"] for u in batch]
                        self.redelivered.difference_update(served.returned)
                        self._answered(served, None)
                        return batch
                    poll.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll.wake.wait(), left)
        finally:
            with self.lock:
                self.polls.discard(poll)

    def _confirm(self, params: dict) -> None:
        if params.get("allowed_updates") is not None:
            self.allowed_updates = set(params["allowed_updates"]) or None
        offset = int(params.get("offset") or 0)
        if offset > 0:
            self.updates = [u for u in self.updates
                            if u["update_id"] >= offset or u["update_id"] in self.redelivered]  # fmt: skip
        elif offset < 0:
            self.updates = self.updates[offset:]

    def _answered(self, served: Served, error: ApiError | str | None) -> None:
        if error is None:
            served.outcome = "ok"
        elif isinstance(error, str):
            served.outcome = error
        else:
            served.outcome = error.code
            served.retry_after = error.retry_after
        self.lock.notify_all()

    def _changed(self) -> None:
        self._wake_polls()
        self.lock.notify_all()

    def _wake_polls(self) -> None:
        for poll in self.polls:
            self.http.call_soon(poll.wake.set)

    # -- the Bot API methods (called under the lock) ---------------------------------------------

    def _api_getMe(self, served: Served) -> dict:
        return self.bot_user

    def _api_getUpdates(self, served: Served) -> list[dict]:  # only ever waited: see get_updates
        raise AssertionError("getUpdates is served by get_updates")

    def _api_setWebhook(self, served: Served) -> bool:
        params = served.params
        if not params.get("url"):
            raise ApiError(400, "Bad Request: bad webhook: URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = params
        return True

    def _api_deleteWebhook(self, served: Served) -> bool:
        if served.params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = None
        return True

    def _api_setMyCommands(self, served: Served) -> bool:
        commands = served.params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description must be 1-256 characters")
        self.commands[served.params.get("language_code") or None] = commands
        return True

    def _api_answerCallbackQuery(self, served: Served) -> bool:
        query_id = str(served.params.get("callback_query_id", ""))
        if self.queries.pop(query_id, None) is None:  # unknown, or answered already
            raise ApiError(400, QUERY_INVALID)
        self.answered_callbacks.append(query_id)
        return True

    def _api_sendMessage(self, served: Served) -> dict:
        chat = self._reachable_chat(served)
        text, keyboard = _content(served.params)
        self._within_limits(served)
        message = ChatMessage(self.new_message_id(chat), True, text, keyboard)
        self.keep(chat, message)
        self._delivered(served, chat, message, new=True)
        return self.message_json(chat, message)

    def _api_editMessageText(self, served: Served) -> dict:
        if "inline_message_id" in served.params:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")  # the bot sends no inline
        chat = self._reachable_chat(served)
        text, keyboard = _content(served.params)
        message_id = served.params.get("message_id")
        message = next((m for m in self.chats.get(chat, []) if m.message_id == message_id), None)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        if message.text == text and message.keyboard == keyboard:
            raise ApiError(400, NOT_MODIFIED)
        self._within_limits(served)
        message.text, message.keyboard = text, keyboard
        message.edits += 1
        self._delivered(served, chat, message, new=False)
        return self.message_json(chat, message, edited=True)

    def _reachable_chat(self, served: Served) -> int:
        chat = served.params.get("chat_id")
        if chat is None or chat == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat not in self.known_chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat in self.blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _within_limits(self, served: Served) -> None:
        """429 if this message would go over the chat's bucket or the overall window."""
        pace, now, chat = self.pace, served.at, served.chat
        tokens = None
        if pace.rate > 0:
            tokens, then = self.buckets.get(chat, (pace.burst, now))
            tokens = min(pace.burst, tokens + max(now - then, 0) * pace.rate)
            if tokens < 1:
                self._too_many((1 - tokens) / pace.rate)
        if pace.overall is not None:
            while self.recent and now - self.recent[0] >= pace.window:
                self.recent.popleft()
            if len(self.recent) >= pace.overall:
                self._too_many(self.recent[0] + pace.window - now)
        # Taken only now that the message goes through: a refused call costs nothing.
        if tokens is not None:
            self.buckets[chat] = (tokens - 1, now)
        if pace.overall is not None:
            self.recent.append(now)

    def _too_many(self, wait: float) -> None:
        self.too_many += 1
        retry = max(1, math.ceil(wait))
        raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)

    def _delivered(self, served: Served, chat: int, message: ChatMessage, *, new: bool) -> None:
        if self.on_bot_message is not None:
            self.on_bot_message(chat, message, new)


def _content(params: dict) -> tuple[str, list[list[dict]]]:
    """A message's text and inline keyboard, refused as Telegram refuses them."""
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_length(text) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    markup = params.get("reply_markup")
    if markup is None:
        return text, []  # an edit without reply_markup removes the buttons
    keyboard = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise ApiError(400, "Bad Request: can't parse inline keyboard markup JSON object")
    for row in keyboard:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is None and "url" not in button:
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text "
                                    "buttons are unallowed in the inline keyboard")  # fmt: skip
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return text, keyboard


def utf16_length(text: str) -> int:
    """The length of `text` in UTF-16 code units, as Telegram measures message text."""
    return len(text.encode("utf-16-le")) // 2


def _chat_of_call(fake: FakeTelegram, method: str, params: dict) -> int | None:
    if method == "answerCallbackQuery":
        return fake.queries.get(str(params.get("callback_query_id")))
    chat = params.get("chat_id")
    return chat if isinstance(chat, int) else None


def _typed(params: dict) -> dict:
    """Parameters as the methods read them: ids as integers, JSON-encoded values decoded."""
    typed = {}
    for key, value in params.items():
        if isinstance(value, str) and key in INTEGER_FIELDS and re.fullmatch(r"-?\d+", value):
            value = int(value)
        elif isinstance(value, str) and key in JSON_FIELDS:
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from exc
        elif isinstance(value, str) and key in BOOLEAN_FIELDS:
            value = value == "true"
        typed[key] = value
    return typed


class _HttpServer:
    """The Bot API over HTTP (`/bot<token>/<method>`): aiohttp on an event loop in a thread of
    its own. A waiting getUpdates is a coroutine on that loop; every other call is answered at
    once."""

    def __init__(self, fake: FakeTelegram):
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.methods: dict[str, str] = {}  # lower case -> as documented

    def start(self) -> None:
        self.methods = {
            name[len("_api_") :].lower(): name[len("_api_") :]
            for name in dir(self.fake)
            if name.startswith("_api_")
        }
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(10)

    def call_soon(self, callback: Callable[[], object]) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(callback)

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                    shutdown_timeout=1.0)  # fmt: skip
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fake = self.fake
        if request.match_info["token"] != fake.token:
            return _reply(ApiError(401, "Unauthorized").body(), 401)
        method = self.methods.get(request.match_info["method"].lower())
        try:
            params = _typed(await _params(request))
        except ApiError as error:
            return _reply(error.body(), error.code)
        if method is None:
            fake.arrive(request.match_info["method"], params)  # recorded, answered 404
            return _reply(ApiError(404, "Not Found").body(), 404)
        served, fault = fake.arrive(method, params)
        try:
            if fault is None:  # injected: the connection drops, no answer
                request.transport.close()
                return web.Response()
            if fault:
                raise fault
            if method == "getUpdates":
                result = await fake.get_updates(served)
            else:
                result = fake.serve(served)
        except ApiError as error:
            return _reply(error.body(), error.code)
        return _reply({"ok": True, "result": result}, 200)


async def _params(request: web.Request) -> dict:
    """A call's parameters from its query string and its body (JSON, urlencoded, multipart)."""
    params: dict = dict(request.query)
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: can't parse JSON")
        params.update(body)
    else:
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


def _reply(body: dict, status: int) -> web.Response:
    return web.json_response(body, status=status)


class FakeUser:
    """A Telegram user and their private chat with the bot (chat id = user id)."""

    def __init__(self, fake: FakeTelegram, user_id: int, language_code: str | None):
        self.fake = fake
        self.id = user_id
        self.language_code = language_code
        self.sent_updates: dict[int, dict] = {}  # what this person sent, by update id

    @property
    def as_user(self) -> dict:
        """This person as a Bot API User object."""
        user = {"id": self.id, "is_bot": False, "first_name": f"User{self.id}"}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def private_chat(self) -> dict:
        return {"id": self.id, "type": "private", "first_name": f"User{self.id}"}

    def _queued(self, update: dict) -> int:
        update = self.fake.push_update(update)
        self.sent_updates[update["update_id"]] = update
        return update["update_id"]

    def _message(self, **content) -> dict:
        """A message from this person in the private chat, shown in it; the update's content."""
        fake = self.fake
        with fake.lock:
            fake.open_chat(self.private_chat)
            message = {"message_id": fake.new_message_id(self.id), "date": int(time.time()),
                       "chat": self.private_chat, "from": self.as_user, **content}  # fmt: skip
            fake.keep(self.id, ChatMessage(message["message_id"], False, content.get("text", "")))
            return {"message": message}

    def _text(self, text: str) -> dict:
        content: dict = {"text": text}
        if text.startswith("/"):
            command = text.split(" ")[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
            ]
        return self._message(**content)

    def send(self, text: str) -> int:
        """Type `text` (a command if it starts with /); the update's id."""
        with self.fake.lock:
            return self._queued(self._text(text))

    def message_update(self, text: str, update_id: int) -> dict:
        """The update Telegram would post to a webhook for `text` typed now (not queued)."""
        with self.fake.lock:
            return {"update_id": update_id, **self._text(text)}

    def send_sticker(self) -> int:
        sticker = {"file_id": "CAACAgIAAxkBAAEBsticker", "file_unique_id": "AgADsticker",
                   "type": "regular", "width": 512, "height": 512, "is_animated": False,
                   "is_video": False, "emoji": "👍"}  # fmt: skip
        with self.fake.lock:
            return self._queued(self._message(sticker=sticker))

    def press(self, label: str, message: ChatMessage | None = None) -> int:
        """Press the button with this label (or callback data) on `message` or the latest."""
        message = message or self.last_with_buttons()
        return self.tap(message.button(label)["callback_data"], message)

    def tap(self, data: str, message: ChatMessage) -> int:
        """A press with this callback data on `message`, as a phone that has not yet shown the
        message's last edit would send it (a double tap, an old button)."""
        fake = self.fake
        with fake.lock:
            query = {"id": fake.new_query_id(self.id), "from": self.as_user,
                     "message": fake.message_json(self.id, message),
                     "chat_instance": f"-{self.id}", "data": data}  # fmt: skip
            return self._queued({"callback_query": query})

    def _member_update(self, chat: dict, old: str, new: str) -> dict:
        return {"my_chat_member": {"chat": chat, "from": self.as_user, "date": int(time.time()),
                                   "old_chat_member": self._member(old),
                                   "new_chat_member": self._member(new)}}  # fmt: skip

    def _member(self, status: str) -> dict:
        """A ChatMember of the bot; a "kicked" one (ChatMemberBanned) always has until_date."""
        member = {"user": self.fake.bot_user, "status": status}
        if status == "kicked":
            member["until_date"] = 0  # for ever
        return member

    def block_bot(self) -> int:
        """Block the bot: Telegram tells it (my_chat_member, "kicked") and refuses its messages
        to this chat from now on (403)."""
        fake = self.fake
        with fake.lock:
            fake.open_chat(self.private_chat)
            fake.blocked.add(self.id)
            return self._queued(self._member_update(self.private_chat, "member", "kicked"))

    def unblock_bot(self) -> int:
        """Unblock the bot (my_chat_member, "member"): its messages reach this chat again."""
        fake = self.fake
        with fake.lock:
            fake.blocked.discard(self.id)
            return self._queued(self._member_update(self.private_chat, "kicked", "member"))

    def add_bot_to_group(self, group_id: int) -> int:
        chat = {"id": group_id, "type": "group", "title": "Brokers"}
        fake = self.fake
        with fake.lock:
            fake.open_chat(chat)
            return self._queued(self._member_update(chat, "left", "member"))

    def redeliver(self, update_ids: list[int] | None = None) -> None:
        """Telegram hands out again what this person sent (all of it, or these updates)."""
        ids = update_ids or list(self.sent_updates)
        self.fake.redeliver([self.sent_updates[i] for i in ids])

    # -- what the person sees ------------------------------------------------------------------

    @property
    def messages(self) -> list[ChatMessage]:
        """The bot's messages in this chat."""
        return [message for message in self.fake.chat(self.id) if message.from_bot]

    def last_with_buttons(self) -> ChatMessage:
        for message in reversed(self.messages):
            if message.keyboard:
                return message
        raise AssertionError("no message with buttons")

    def wait_for(self, condition: Callable[[list[ChatMessage]], bool], timeout: float = 20.0):
        self.fake.wait_until(
            lambda: condition([m for m in self.fake.chats.get(self.id, []) if m.from_bot]), timeout
        )

    def wait_for_messages(self, count: int, timeout: float = 20.0) -> list[ChatMessage]:
        self.wait_for(lambda messages: len(messages) >= count, timeout)
        return self.messages

"""FakeTelegram: Telegram's side of the chats with one bot, in memory, safe across threads; what
tests and people do with it. Serving calls (`serving`), the Bot API methods (`methods`) and the
questions asked of the calls served (`history`) are mixins of their own modules."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

from tests.fake_telegram.history import History
from tests.fake_telegram.limits import Limits
from tests.fake_telegram.methods import BotApiMethods
from tests.fake_telegram.people import FakeUser
from tests.fake_telegram.records import BOT_USER, TOKEN, ApiError, ChatMessage, Pace, Served
from tests.fake_telegram.server import HttpServer
from tests.fake_telegram.serving import Poll, Serving

# Update types getUpdates leaves out unless asked for by name.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class FakeTelegram(History, Serving, BotApiMethods):
    """Telegram's side of the chats with one bot, in memory, safe across threads."""

    def __init__(self, pace: Pace | None = None, token: str = TOKEN):
        self.limits = Limits(pace or Pace())
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
        # Called (under the lock) with (chat, message, new) when the bot sends or edits.
        self.on_bot_message: Callable[[int, ChatMessage, bool], None] | None = None
        self.polls: set[Poll] = set()
        self.closing = False
        self.http = HttpServer(self)

    @property
    def pace(self) -> Pace:
        return self.limits.pace

    @property
    def too_many(self) -> int:
        """429s answered for the limits (injected ones not counted)."""
        return self.limits.too_many

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

"""A local Telegram: the Bot API methods cips uses, kept in memory, and the people who chat.

`cips run` without a bot token and `cips demo` put this where Telegram would be: the same bot
code (`bot/`) talks to it over HTTP (see `web.chat.endpoint`), while people use the chat page
(`web.chat.page`) and simulated respondents push updates. It implements getMe, getUpdates (long
polling, offsets), sendMessage, editMessageText, answerCallbackQuery, setMyCommands, setWebhook
and deleteWebhook, with Telegram's limits on text length and callback data, so that what works
here works on Telegram. The test suite has a fake Bot API of its
own (`tests/fake_telegram/`), written from Telegram's documentation and sharing no code with
this one, so that a mistake made here is not repeated there.

Nothing here is stored: a restart forgets the chats (the survey itself is in the database).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "CIPS", "username": "cips_local_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}  # fmt: skip
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_KEPT_MESSAGES = 1000  # per chat: older ones are forgotten (a page shows the latest)
INTEGER_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout"}


class BotApiError(Exception):
    """A Bot API error answer: HTTP status, description, and retry_after for a 429."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class ChatMessage:
    """A message as the person sees it in the chat (edits applied)."""

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


class LocalTelegram:
    """Telegram's side of private chats with one bot, in memory, safe across threads."""

    def __init__(self, token: str, bot_user: dict | None = None):
        self.token = token
        self.bot_user = bot_user or BOT_USER
        self.lock = threading.Condition()
        self.updates: list[dict] = []  # not yet confirmed, in update_id order
        # Update ids only grow, across restarts too, as Telegram's do: the bot takes an id it has
        # already handled for a redelivery and ignores it.
        self.update_ids = itertools.count(time.time_ns() // 1_000)
        self.message_ids = itertools.count(1)
        self.chats: dict[int, list[ChatMessage]] = {}
        self.commands: dict[str | None, list[dict]] = {}
        self.webhook: dict | None = None
        self.answered_callbacks: list[str] = []
        self.chat_versions: dict[int, int] = {}  # bumped on every change a person could see

    # -- the Bot API ---------------------------------------------------------------------------

    def call(self, method: str, params: dict):
        """Run one Bot API method; raises BotApiError as Telegram would answer it."""
        with self.lock:
            handler = getattr(self, f"api_{method}", None)
            if handler is None:
                raise BotApiError(404, "Not Found: method not found")
            result = handler(params)
            self.lock.notify_all()
            return result

    def api_getMe(self, params: dict) -> dict:
        return self.bot_user

    def api_deleteWebhook(self, params: dict) -> bool:
        self.webhook = None
        return True

    def api_setWebhook(self, params: dict) -> bool:
        self.webhook = params
        return True

    def api_setMyCommands(self, params: dict) -> bool:
        self.commands[params.get("language_code")] = params["commands"]
        return True

    def api_getUpdates(self, params: dict) -> list[dict]:
        offset = params.get("offset")
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while not self.updates and time.monotonic() < deadline:
            self.lock.wait(deadline - time.monotonic())
        return self.updates[: int(params.get("limit") or 100)]

    def api_answerCallbackQuery(self, params: dict) -> bool:
        self.answered_callbacks.append(params["callback_query_id"])
        return True

    def api_sendMessage(self, params: dict) -> dict:
        chat = params["chat_id"]
        text, keyboard = self.checked(chat, params)
        message = ChatMessage(next(self.message_ids), True, text, keyboard)
        self._keep(chat, message)
        return self.message_json(chat, message)

    def api_editMessageText(self, params: dict) -> dict:
        chat = params["chat_id"]
        text, keyboard = self.checked(chat, params)
        for message in self.chats.get(chat, []):
            if message.message_id == params["message_id"] and message.from_bot:
                if message.text == text and message.keyboard == keyboard:
                    raise BotApiError(400, "Bad Request: message is not modified")
                message.text, message.keyboard = text, keyboard
                message.edits += 1
                self.chat_versions[chat] = self.chat_versions.get(chat, 0) + 1
                return self.message_json(chat, message)
        raise BotApiError(400, "Bad Request: message to edit not found")

    def checked(self, chat: int, params: dict) -> tuple[str, list[list[dict]]]:
        """The text and keyboard of a message to send, refused where Telegram would refuse it."""
        text = params.get("text") or ""
        if not text.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise BotApiError(400, "Bad Request: message is too long")
        keyboard = (params.get("reply_markup") or {}).get("inline_keyboard", [])
        for row in keyboard:
            for button in row:
                if len(button.get("callback_data", "").encode()) > MAX_CALLBACK_DATA:
                    raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return text, keyboard

    def message_json(self, chat: int, message: ChatMessage) -> dict:
        result = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
            "from": self.bot_user,
            "text": message.text,
        }
        if message.keyboard:
            result["reply_markup"] = {"inline_keyboard": message.keyboard}
        return result

    def _keep(self, chat: int, message: ChatMessage) -> None:
        messages = self.chats.setdefault(chat, [])
        messages.append(message)
        del messages[:-MAX_KEPT_MESSAGES]
        self.chat_versions[chat] = self.chat_versions.get(chat, 0) + 1

    # -- the people's side ---------------------------------------------------------------------

    def push_update(self, update: dict) -> int:
        """Queue an update for the bot; returns its update_id."""
        with self.lock:
            update = {"update_id": next(self.update_ids), **update}
            self.updates.append(update)
            self.lock.notify_all()
            return update["update_id"]

    def send_text(self, user: dict, text: str) -> dict:
        """`user` (a Bot API User object) types `text` in their private chat with the bot."""
        content: dict = {"text": text}
        if text.startswith("/"):
            command = text.split(" ")[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.user_message(user, **content)

    def user_message(self, user: dict, **content) -> dict:
        """A message from `user` (text, sticker, ...): shown in the chat and queued for the bot."""
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        with self.lock:
            message = {"message_id": next(self.message_ids), "date": int(time.time()),
                       "chat": chat, "from": user, **content}  # fmt: skip
            if "text" in content:
                self._keep(user["id"], ChatMessage(message["message_id"], False, content["text"]))
            update = {"message": message}
            update["update_id"] = self.push_update(update)
            return update

    def press(self, user: dict, message: ChatMessage, data: str, query_id: str) -> dict:
        """`user` presses the button carrying `data` under `message` (as their phone shows it)."""
        query = {"id": query_id, "from": user, "chat_instance": str(user["id"]), "data": data,
                 "message": self.message_json(user["id"], message)}  # fmt: skip
        update = {"callback_query": query}
        update["update_id"] = self.push_update(update)
        return update

    def chat(self, chat_id: int) -> list[ChatMessage]:
        with self.lock:
            return list(self.chats.get(chat_id, []))

    def message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        with self.lock:
            return next((m for m in self.chats.get(chat_id, []) if m.message_id == message_id),
                        None)  # fmt: skip

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait (holding nothing) until `condition()` holds; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(min(left, 0.5))
            return True

    def wait_for_quiet(self, chat_id: int, *, quiet: float, timeout: float) -> None:
        """Wait until the bot has answered in this chat and then said nothing for `quiet`
        seconds (or `timeout` passed): what a person does before reading the reply."""
        deadline = time.monotonic() + timeout
        with self.lock:
            seen, last_change = self.chat_versions.get(chat_id), time.monotonic()
            while time.monotonic() < deadline:
                self.lock.wait(min(quiet, max(deadline - time.monotonic(), 0)))
                if self.chat_versions.get(chat_id) != seen:
                    seen, last_change = self.chat_versions.get(chat_id), time.monotonic()
                elif time.monotonic() - last_change >= quiet and not any(
                    _chat_of(update) == chat_id for update in self.updates
                ):
                    return


def _chat_of(update: dict) -> int | None:
    if "message" in update:
        return update["message"]["chat"]["id"]
    if "callback_query" in update:
        return update["callback_query"]["from"]["id"]
    return None


def parse_params(body: bytes, content_type: str) -> dict:
    """A Bot API call's parameters, sent as JSON or as a form with JSON-encoded values."""
    if not body:
        return {}
    if "json" in content_type:
        return json.loads(body)
    params = {}
    for key, values in parse_qs(body.decode(), keep_blank_values=True).items():
        value = values[0]
        if key in INTEGER_FIELDS:
            value = int(value)
        elif value[:1] in "[{":
            value = json.loads(value)
        params[key] = value
    return params

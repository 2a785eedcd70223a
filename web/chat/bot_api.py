"""The local Telegram's Bot API (`web.chat.telegram`): the chats in memory and the methods the bot
calls on them: getMe, getUpdates (long polling, offsets), sendMessage, editMessageText,
answerCallbackQuery, setMyCommands, setWebhook and deleteWebhook, with Telegram's limits on text
length and callback data, so that what works here works on Telegram.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
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


class LocalBotApi:
    """The chats with one bot, in memory, safe across threads, and the Bot API methods on them
    (`api_<method>`, run by `call`)."""

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
        self.keep(chat, message)
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

    def keep(self, chat: int, message: ChatMessage) -> None:
        """Show `message` in `chat` (a person's too: `web.chat.telegram`)."""
        messages = self.chats.setdefault(chat, [])
        messages.append(message)
        del messages[:-MAX_KEPT_MESSAGES]
        self.chat_versions[chat] = self.chat_versions.get(chat, 0) + 1


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

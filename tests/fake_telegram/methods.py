"""The Bot API methods the fake implements, each as Telegram documents it: its checks, its
errors, its effect on the chats, and its result."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.fake_telegram.content import message_content
from tests.fake_telegram.limits import Limits
from tests.fake_telegram.records import ApiError, ChatMessage, Served

COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"


class BotApiMethods:
    """`_api_<method>` for each method, called under FakeTelegram's lock with the call recorded
    (Served); it returns the result or raises ApiError. The state is FakeTelegram's, and so are
    `new_message_id`, `keep` and `message_json`."""

    bot_user: dict
    updates: list[dict]
    webhook: dict | None
    commands: dict[str | None, list[dict]]
    queries: dict[str, int]
    answered_callbacks: list[str]
    chats: dict[int, list[ChatMessage]]
    known_chats: dict[int, dict]
    blocked: set[int]
    limits: Limits
    on_bot_message: Callable[[int, ChatMessage, bool], None] | None

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
        text, keyboard = message_content(served.params)
        self.limits.admit(served.chat, served.at)
        message = ChatMessage(self.new_message_id(chat), True, text, keyboard)
        self.keep(chat, message)
        self._delivered(served, chat, message, new=True)
        return self.message_json(chat, message)

    def _api_editMessageText(self, served: Served) -> dict:
        if "inline_message_id" in served.params:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")  # the bot sends no inline
        chat = self._reachable_chat(served)
        text, keyboard = message_content(served.params)
        message_id = served.params.get("message_id")
        message = next((m for m in self.chats.get(chat, []) if m.message_id == message_id), None)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        if message.text == text and message.keyboard == keyboard:
            raise ApiError(400, NOT_MODIFIED)
        self.limits.admit(served.chat, served.at)
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

    def _delivered(self, served: Served, chat: int, message: ChatMessage, *, new: bool) -> None:
        if self.on_bot_message is not None:
            self.on_bot_message(chat, message, new)

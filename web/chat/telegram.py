"""A local Telegram: the Bot API methods cips uses, kept in memory, and the people who chat.

`cips run` without a bot token and `cips demo` put this where Telegram would be: the same bot
code (`bot/`) talks to it over HTTP (see `web.chat.endpoint`), while people use the chat page
(`web.chat.page`) and simulated respondents push updates. The bot's side, the chats and the Bot
API methods, is `web.chat.bot_api`; this module adds the people's side. The test suite has a fake
Bot API of its own (`tests/fake_telegram/`), written from Telegram's documentation and sharing no
code with this one, so that a mistake made here is not repeated there.

Nothing here is stored: a restart forgets the chats (the survey itself is in the database).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from web.chat.bot_api import ChatMessage, LocalBotApi


class LocalTelegram(LocalBotApi):
    """Telegram's side of private chats with one bot, in memory, safe across threads: the Bot
    API (`LocalBotApi`), and what the people in the chats do and see."""

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
                self.keep(user["id"], ChatMessage(message["message_id"], False, content["text"]))
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

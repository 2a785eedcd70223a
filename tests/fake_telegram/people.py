"""The people who chat with the bot: a Telegram user types, sends stickers, presses buttons,
blocks and unblocks the bot, adds it to a group, and reads their private chat as they see it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.fake_telegram.content import utf16_length
from tests.fake_telegram.records import ChatMessage

if TYPE_CHECKING:
    from tests.fake_telegram.fake import FakeTelegram


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

"""The fake's data: the bot it plays (TOKEN, BOT_USER), its error answers (ApiError), its limits
(Pace), a message as a chat shows it (ChatMessage) and one call as it recorded it (Served)."""

from __future__ import annotations

from dataclasses import dataclass, field

TOKEN = "123456:TEST-TOKEN"
BOT_USER = {"id": 999000111, "is_bot": True, "first_name": "CIPS", "username": "cips_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}  # fmt: skip
MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText"})  # what the limits count


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

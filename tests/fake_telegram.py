"""A fake Telegram Bot API: a real HTTP server the real bot process talks to (TELEGRAM_API_URL).

It implements what cips uses (getMe, getUpdates with long polling and offsets, sendMessage,
editMessageText, answerCallbackQuery, setMyCommands, setWebhook, deleteWebhook) and enforces the
Bot API's limits: text length, callback data bytes, and a per-chat pace (a short burst, then 429
with retry_after). Tests play Telegram users through `FakeUser`: send text, commands and
stickers, press buttons, read the chat as the person would see it. Faults can be injected:
redelivery of updates, 429s, 403s (a user who blocked the bot), dropped connections.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

TOKEN = "123456:TEST-TOKEN"
BOT_USER = {"id": 999000, "is_bot": True, "first_name": "CIPS", "username": "cips_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}  # fmt: skip
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
INTEGER_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout"}


class ApiError(Exception):
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
            if label in (button["text"], button["callback_data"]):
                return button
        raise AssertionError(f"no button {label!r} in {self.text!r}: {self.buttons}")


@dataclass
class Pace:
    """Telegram's per-chat limit as the fake enforces it: `burst` at once, then `rate` per s."""

    rate: float = 1.0
    burst: float = 4.0


class FakeTelegram:
    def __init__(self, pace: Pace | None = None, token: str = TOKEN):
        self.token = token
        self.pace = pace or Pace()
        self.lock = threading.Condition()
        self.updates: list[dict] = []  # not yet confirmed, in update_id order
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1)
        self.chats: dict[int, list[ChatMessage]] = {}
        self.commands: dict[str | None, list[dict]] = {}
        self.webhook: dict | None = None
        self.answered_callbacks: list[str] = []
        self.calls: list[tuple[str, int | None]] = []  # (method, chat id) of every call
        self.too_many: int = 0  # 429s returned for the pace
        self.faults: list[tuple[Callable[[str, dict], bool], ApiError | None]] = []
        self.blocked: set[int] = set()
        self.buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, time)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeTelegram:
        self.thread.start()
        return self

    def stop(self) -> None:
        with self.lock:
            self.lock.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # -- what tests do -------------------------------------------------------------------------

    def user(self, user_id: int, language_code: str | None = "en") -> FakeUser:
        return FakeUser(self, user_id, language_code)

    def push_update(self, update: dict) -> int:
        with self.lock:
            update = {"update_id": next(self.update_ids), **update}
            self.updates.append(update)
            self.lock.notify_all()
            return update["update_id"]

    def redeliver(self, update_ids: list[int], history: dict[int, dict]) -> None:
        """Hand out already confirmed updates again, as Telegram does after a timeout."""
        with self.lock:
            for update_id in update_ids:
                self.updates.append(history[update_id])
            self.updates.sort(key=lambda u: u["update_id"])
            self.lock.notify_all()

    def fail(self, when: Callable[[str, dict], bool], error: ApiError | None) -> None:
        """The next call matching `when(method, params)` fails: with `error`, or (None) the
        connection is dropped before anything happens."""
        with self.lock:
            self.faults.append((when, error))

    def wait_until(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for the bot")
                self.lock.wait(min(left, 0.5))

    def pending_updates(self) -> int:
        with self.lock:
            return len(self.updates)

    # -- the Bot API ---------------------------------------------------------------------------

    def call(self, method: str, params: dict):
        with self.lock:
            self.calls.append((method, params.get("chat_id")))
            for i, (when, error) in enumerate(self.faults):
                if when(method, params):
                    del self.faults[i]
                    if error is None:
                        raise ConnectionAbortedError
                    raise error
            handler = getattr(self, f"api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(params)
            self.lock.notify_all()
            return result

    def api_getMe(self, params: dict) -> dict:
        return BOT_USER

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
        text, keyboard = self._checked(chat, params)
        message = ChatMessage(next(self.message_ids), True, text, keyboard)
        self.chats.setdefault(chat, []).append(message)
        return self._message_json(chat, message)

    def api_editMessageText(self, params: dict) -> dict:
        chat = params["chat_id"]
        text, keyboard = self._checked(chat, params)
        for message in self.chats.get(chat, []):
            if message.message_id == params["message_id"] and message.from_bot:
                if message.text == text and message.keyboard == keyboard:
                    raise ApiError(400, "Bad Request: message is not modified")
                message.text, message.keyboard = text, keyboard
                message.edits += 1
                return self._message_json(chat, message)
        raise ApiError(400, "Bad Request: message to edit not found")

    def _checked(self, chat: int, params: dict) -> tuple[str, list[list[dict]]]:
        if chat in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        keyboard = (params.get("reply_markup") or {}).get("inline_keyboard", [])
        for row in keyboard:
            for button in row:
                if len(button.get("callback_data", "").encode()) > MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        self._pace(chat)
        return text, keyboard

    def _pace(self, chat: int) -> None:
        now = time.monotonic()
        tokens, then = self.buckets.get(chat, (self.pace.burst, now))
        tokens = min(self.pace.burst, tokens + (now - then) * self.pace.rate)
        if tokens < 1:
            self.too_many += 1
            retry = max(1, round((1 - tokens) / self.pace.rate))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        self.buckets[chat] = (tokens - 1, now)

    def _message_json(self, chat: int, message: ChatMessage) -> dict:
        result = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
            "from": BOT_USER,
            "text": message.text,
        }
        if message.keyboard:
            result["reply_markup"] = {"inline_keyboard": message.keyboard}
        return result

    # -- HTTP ----------------------------------------------------------------------------------

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    return self._reply(404, {"ok": False, "error_code": 404,
                                             "description": "Not Found"})  # fmt: skip
                method = self.path[len(prefix) :]
                length = int(self.headers.get("Content-Length") or 0)
                params = _params(self.rfile.read(length), self.headers.get("Content-Type", ""))
                try:
                    result = fake.call(method, params)
                except ConnectionAbortedError:
                    self.close_connection = True
                    self.connection.close()
                    return None
                except ApiError as exc:
                    body = {"ok": False, "error_code": exc.code, "description": exc.description}
                    if exc.retry_after is not None:
                        body["parameters"] = {"retry_after": exc.retry_after}
                    return self._reply(exc.code, body)
                return self._reply(200, {"ok": True, "result": result})

            do_GET = do_POST

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _params(body: bytes, content_type: str) -> dict:
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


class FakeUser:
    """A Telegram user in a private chat with the bot (chat id = user id)."""

    def __init__(self, fake: FakeTelegram, user_id: int, language_code: str | None):
        self.fake = fake
        self.id = user_id
        self.language_code = language_code
        self.sent_updates: dict[int, dict] = {}
        self.callback_ids = itertools.count(1)

    @property
    def _from(self) -> dict:
        user = {"id": self.id, "is_bot": False, "first_name": f"User{self.id}"}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _chat(self) -> dict:
        return {"id": self.id, "type": "private", "first_name": f"User{self.id}"}

    def _push(self, update: dict) -> int:
        update_id = self.fake.push_update(update)
        self.sent_updates[update_id] = {"update_id": update_id, **update}
        return update_id

    def _message(self, **content) -> int:
        message = {"message_id": next(self.fake.message_ids), "date": int(time.time()),
                   "chat": self._chat(), "from": self._from, **content}  # fmt: skip
        return self._push({"message": message})

    def send(self, text: str) -> int:
        content = {"text": text}
        if text.startswith("/"):
            command = text.split(" ")[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._message(**content)

    def send_sticker(self) -> int:
        sticker = {"file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
        return self._message(sticker=sticker)

    def press(self, label: str, message: ChatMessage | None = None) -> int:
        """Press the button with this label (or callback data) on `message` or the latest."""
        message = message or self.last_with_buttons()
        return self.tap(message.button(label)["callback_data"], message)

    def tap(self, data: str, message: ChatMessage) -> int:
        """A press with this callback data on `message`, as a phone that has not yet shown the
        message's last edit would send it (a double tap, an old button)."""
        query = {"id": f"{self.id}-{next(self.callback_ids)}", "from": self._from,
                 "chat_instance": str(self.id), "data": data,
                 "message": self.fake._message_json(self.id, message)}  # fmt: skip
        return self._push({"callback_query": query})

    def add_bot_to_group(self, group_id: int) -> int:
        chat = {"id": group_id, "type": "group", "title": "Brokers"}
        member = {"chat": chat, "from": self._from, "date": int(time.time()),
                  "old_chat_member": {"user": BOT_USER, "status": "left"},
                  "new_chat_member": {"user": BOT_USER, "status": "member"}}  # fmt: skip
        return self._push({"my_chat_member": member})

    def redeliver(self, update_ids: list[int] | None = None) -> None:
        self.fake.redeliver(update_ids or list(self.sent_updates), self.sent_updates)

    # -- what the person sees ------------------------------------------------------------------

    @property
    def messages(self) -> list[ChatMessage]:
        with self.fake.lock:
            return list(self.fake.chats.get(self.id, []))

    def last_with_buttons(self) -> ChatMessage:
        for message in reversed(self.messages):
            if message.keyboard:
                return message
        raise AssertionError("no message with buttons")

    def wait_for(self, condition: Callable[[list[ChatMessage]], bool], timeout: float = 20.0):
        self.fake.wait_until(lambda: condition(self.fake.chats.get(self.id, [])), timeout)

    def wait_for_messages(self, count: int, timeout: float = 20.0) -> list[ChatMessage]:
        self.wait_for(lambda messages: len(messages) >= count, timeout)
        return self.messages

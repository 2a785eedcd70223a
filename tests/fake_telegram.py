"""A fake Telegram Bot API: a real HTTP server the real bot process talks to (TELEGRAM_API_URL).

It is the product's local Telegram (`web.chat.telegram.LocalTelegram`: getMe, getUpdates with
long polling and offsets, sendMessage, editMessageText, answerCallbackQuery, setMyCommands,
setWebhook, deleteWebhook, with Telegram's limits on text length and callback data) served over
HTTP by aiohttp on an event loop of its own thread, plus what only tests need: Telegram's
per-chat pace (a short burst, then 429 with retry_after) and injected faults: redelivery of
updates, 429s, 403s (a user who blocked the bot), dropped connections. Tests play Telegram users
through `FakeUser`: send text, commands and stickers, press buttons, read the chat as the person
would see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from web.chat.telegram import BOT_USER as LOCAL_BOT_USER
from web.chat.telegram import BotApiError as ApiError
from web.chat.telegram import ChatMessage, LocalTelegram, parse_params

__all__ = ["ApiError", "ChatMessage", "FakeTelegram", "FakeUser", "Pace"]

TOKEN = "123456:TEST-TOKEN"
BOT_USER = {**LOCAL_BOT_USER, "username": "cips_test_bot"}


@dataclass
class Pace:
    """Telegram's per-chat limit as the fake enforces it: `burst` at once, then `rate` per s."""

    rate: float = 1.0
    burst: float = 4.0


class FakeTelegram(LocalTelegram):
    def __init__(self, pace: Pace | None = None, token: str = TOKEN):
        super().__init__(token, BOT_USER)
        self.pace = pace or Pace()
        self.calls: list[tuple[str, int | None]] = []  # (method, chat id) of every call
        self.too_many: int = 0  # 429s returned for the pace
        self.faults: list[tuple[Callable[[str, dict], bool], ApiError | None]] = []
        self.blocked: set[int] = set()
        self.buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, time)
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
            self.lock.notify_all()
        self.http.stop()

    # -- what tests do -------------------------------------------------------------------------

    def user(self, user_id: int, language_code: str | None = "en") -> FakeUser:
        return FakeUser(self, user_id, language_code)

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

    def wait_until(self, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
        if not super().wait_until(condition, timeout):
            raise AssertionError("timed out waiting for the bot")
        return True

    def pending_updates(self) -> int:
        with self.lock:
            return len(self.updates)

    # -- the Bot API, with faults and Telegram's pace --------------------------------------------

    def call(self, method: str, params: dict):
        with self.lock:
            self.calls.append((method, params.get("chat_id")))
            for i, (when, error) in enumerate(self.faults):
                if when(method, params):
                    del self.faults[i]
                    if error is None:
                        raise ConnectionAbortedError
                    raise error
            return super().call(method, params)

    def checked(self, chat: int, params: dict) -> tuple[str, list[list[dict]]]:
        if chat in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        text, keyboard = super().checked(chat, params)
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


class _HttpServer:
    """The Bot API over HTTP: aiohttp's server on an event loop in a thread of its own.

    A long poll (getUpdates with a timeout) waits in a thread of its own, so that the loop goes
    on serving the bot's other calls; every other call is answered on the loop at once.
    """

    def __init__(self, fake: FakeTelegram):
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.polls: set[asyncio.Future] = set()  # long polls waiting

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(10)

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def _close(self) -> None:
        for poll in self.polls:  # answered with nothing: the connection closes
            poll.cancel()
        await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fake = self.fake
        if request.match_info["token"] != fake.token:
            return _reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        method = request.match_info["method"]
        params = parse_params(await request.read(), request.headers.get("Content-Type", ""))
        try:
            if method == "getUpdates" and params.get("timeout"):
                result = await self._waiting(fake.call, method, params)
            else:
                result = fake.call(method, params)
        except ConnectionAbortedError:  # an injected fault: the connection drops, no answer
            request.transport.close()
            return web.Response()
        except ApiError as exc:
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
            return _reply(exc.code, body)
        return _reply(200, {"ok": True, "result": result})

    def _waiting(self, work: Callable, *args) -> asyncio.Future:
        """`work(*args)` in a daemon thread (a test may end while a long poll waits)."""
        future = self.loop.create_future()
        self.polls.add(future)
        future.add_done_callback(self.polls.discard)

        def settle(result, error) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        def run() -> None:
            try:
                result, error = work(*args), None
            except BaseException as exc:  # handed to the request, as if called there
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # the loop has stopped
                self.loop.call_soon_threadsafe(settle, result, error)

        threading.Thread(target=run, daemon=True).start()
        return future


def _reply(status: int, body: dict) -> web.Response:
    return web.json_response(body, status=status)


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

    def _sent(self, update: dict) -> int:
        self.sent_updates[update["update_id"]] = update
        return update["update_id"]

    def send(self, text: str) -> int:
        return self._sent(self.fake.send_text(self._from, text))

    def send_sticker(self) -> int:
        sticker = {"file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False}  # fmt: skip
        return self._sent(self.fake.user_message(self._from, sticker=sticker))

    def press(self, label: str, message: ChatMessage | None = None) -> int:
        """Press the button with this label (or callback data) on `message` or the latest."""
        message = message or self.last_with_buttons()
        return self.tap(message.button(label)["callback_data"], message)

    def tap(self, data: str, message: ChatMessage) -> int:
        """A press with this callback data on `message`, as a phone that has not yet shown the
        message's last edit would send it (a double tap, an old button)."""
        query_id = f"{self.id}-{next(self.callback_ids)}"
        return self._sent(self.fake.press(self._from, message, data, query_id))

    def add_bot_to_group(self, group_id: int) -> int:
        chat = {"id": group_id, "type": "group", "title": "Brokers"}
        member = {"chat": chat, "from": self._from, "date": int(time.time()),
                  "old_chat_member": {"user": BOT_USER, "status": "left"},
                  "new_chat_member": {"user": BOT_USER, "status": "member"}}  # fmt: skip
        update = {"my_chat_member": member}
        return self._sent({"update_id": self.fake.push_update(update), **update})

    def redeliver(self, update_ids: list[int] | None = None) -> None:
        self.fake.redeliver(update_ids or list(self.sent_updates), self.sent_updates)

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

"""The Bot API over HTTP (`/bot<token>/<method>`): a call's token, method name and parameters read
as Telegram reads them (JSON, urlencoded or multipart body, query string), handed to FakeTelegram,
and its answer written back."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fake_telegram.records import ApiError

if TYPE_CHECKING:
    from tests.fake_telegram.fake import FakeTelegram

INTEGER_FIELDS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout"})
JSON_FIELDS = frozenset({"reply_markup", "commands", "allowed_updates", "scope", "entities"})
BOOLEAN_FIELDS = frozenset({"drop_pending_updates", "show_alert", "disable_notification"})


class HttpServer:
    """aiohttp on an event loop in a thread of its own. A waiting getUpdates is a coroutine on
    that loop; every other call is answered at once."""

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


def _reply(body: dict, status: int) -> web.Response:
    return web.json_response(body, status=status)

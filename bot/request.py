"""Bot API calls over aiohttp: python-telegram-bot's request interface on a lighter HTTP client.

python-telegram-bot sends through httpx by default. Its asynchronous connection pool re-examines
every pooled socket on each request (a poll and a getpeername each; encode/httpx#3215): on the
2-core bench machine that is about 3 ms of CPU per Bot API call, against about 0.2 ms for aiohttp
on the same calls. A respondent's answer takes three calls (answer the callback, edit the
question, send the next one), so the HTTP client was most of the bot's time. python-telegram-bot
documents `BaseRequest` for plugging in another HTTP library; this is that: its own calls go
form-encoded as before, with the same errors (timeouts raise `TimedOut`, any other transport
failure `NetworkError`; HTTP statuses are turned into `RetryAfter`, `Forbidden`, ... by
python-telegram-bot itself). The calls on every answer's path (getUpdates, answerCallbackQuery,
the sender's sends and edits) go through `call`, plain data as a JSON body (both are Bot API
encodings), the same errors.

aiohttp has no write timeout: a request body here is a few kilobytes (no files are uploaded), so
the read timeout covers a stalled call.
"""

from __future__ import annotations

import json

import aiohttp
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

FORM = "application/x-www-form-urlencoded"
_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # what python-telegram-bot passes for "not given"


class AiohttpRequest(BaseRequest):
    """Bot API requests through one aiohttp session with `connections` kept-alive connections."""

    def __init__(
        self,
        connections: int,
        *,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ):
        self.connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            body, headers = _body(request_data)
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts derive from it
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _given(value, default: float | None) -> float | None:
    return default if isinstance(value, _DEFAULT) else value


def _body(request_data: RequestData | None) -> tuple[bytes | aiohttp.FormData | None, dict]:
    """The body and its headers: JSON for `Fields`, otherwise python-telegram-bot's form fields
    (multipart only when files go along). Encoded here: given a dict, aiohttp builds a multipart
    writer, with a random boundary, for every request, even one it then sends url-encoded."""
    if request_data is None:
        return None, {}
    if isinstance(request_data, Fields):
        return request_data.json_payload, {"Content-Type": "application/json"}
    files = request_data.multipart_data
    if not files:
        return request_data.url_encoded_parameters().encode(), {"Content-Type": FORM}
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, *mimetype) in files.items():
        form.add_field(name, content, filename=filename,
                       content_type=mimetype[0] if mimetype else None)  # fmt: skip
    return form, {}


class Fields(RequestData):
    """A Bot API call's parameters as plain data, sent as a JSON body (no python-telegram-bot
    objects on the way)."""

    def __init__(self, fields: dict[str, object]):
        super().__init__()
        self.fields = {name: value for name, value in fields.items() if value is not None}

    @property
    def json_parameters(self) -> dict[str, str]:
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in self.fields.items()}

    @property
    def json_payload(self) -> bytes:
        return json.dumps(self.fields).encode()


async def call(
    bot: Bot,
    method: str,
    *,
    via: BaseRequest | None = None,
    read_timeout: float | None = None,
    **fields: object,
) -> object:
    """One Bot API call with plain data in and out (errors raised as python-telegram-bot does),
    through `via` (default: the bot's request; getUpdates has a connection of its own).

    The sender makes two calls per answer and needs nothing back but a message id; building
    python-telegram-bot's objects for the keyboard and the returned message (and encoding them
    again) cost about 0.5 ms of CPU per call, half the price of the call itself.
    """
    request = via or bot.request
    timeout = BaseRequest.DEFAULT_NONE if read_timeout is None else read_timeout
    return await request.post(f"{bot.base_url}/{method}", Fields(fields), read_timeout=timeout)

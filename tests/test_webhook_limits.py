"""The webhook server decides from the headers, before reading the body (issue 21, item 5).

The server runs in this process (its own event loop in a thread) with a stand-in application
that records the updates it is given. The attacks talk raw HTTP over a socket, so that a huge
`Content-Length` can be announced while only a few bytes are sent: a server that read the body
before answering would wait for the rest and the read below would time out.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from types import SimpleNamespace

import pytest

from bot.updates import SECRET_HEADER, WEBHOOK_MAX_BODY, webhook_server

SECRET = "s3cret-token"
PATH = "/telegram"


class StandIn:
    """What the handler uses of python-telegram-bot's Application."""

    def __init__(self):
        self.bot = None
        self.bot_data: dict = {}
        self.updates: list[int] = []

    async def process_update(self, update) -> None:
        self.updates.append(update.update_id)


@pytest.fixture
def server():
    application = StandIn()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    box = {}

    def run():
        asyncio.set_event_loop(loop)
        http = webhook_server(application, PATH, SECRET)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)
        http.add_sockets([sock])
        box["port"], box["http"] = sock.getsockname()[1], http
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    yield SimpleNamespace(port=box["port"], application=application)
    loop.call_soon_threadsafe(box["http"].stop)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def _head(length: int | None, secret: str | None = SECRET, chunked: bool = False) -> bytes:
    lines = [f"POST {PATH} HTTP/1.1", "Host: bot.example.org", "Content-Type: application/json"]
    if secret is not None:
        lines.append(f"{SECRET_HEADER}: {secret}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 5 s pass)."""
    sock.settimeout(5)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return received


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _update(update_id: int) -> bytes:
    message = {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}, "text": "hi"}
    return json.dumps({"update_id": update_id, "message": message}).encode()


@pytest.mark.parametrize(("secret", "expected"), [(SECRET, 413), ("forged", 403), (None, 403)])
def test_a_huge_announced_body_is_refused_unread(server, secret, expected):
    """90 MB announced, 10 bytes sent: the answer comes at once and the connection closes; a
    server that read the body would still be waiting for the other 89.99 MB."""
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        started = time.monotonic()
        sock.sendall(_head(90_000_000, secret) + b'{"update_')
        answer = _answer(sock)
        elapsed = time.monotonic() - started
    assert _status(answer) == expected, answer[:200]
    assert elapsed < 1.0, elapsed  # 5 s (the read's timeout) if the server waited for the body
    assert server.application.updates == []


def test_just_over_the_limit_is_refused_and_within_it_is_handled(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(_head(WEBHOOK_MAX_BODY + 1))
        assert _status(_answer(sock)) == 413
    body = _update(41)
    padded = body[:-1] + b" " * (WEBHOOK_MAX_BODY - len(body)) + b"}"  # exactly at the limit
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(_head(len(padded)) + padded)
        sock.settimeout(5)
        answer = sock.recv(65536)  # kept alive: the answer, not the end of the connection
    assert _status(answer) == 200, answer[:200]
    assert server.application.updates == [41]


def test_a_body_without_a_length_is_cut_at_the_limit(server):
    """Chunked: no length to check in advance, so tornado stops reading at the limit."""
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(_head(None, chunked=True))
        try:
            while sent < 20 * WEBHOOK_MAX_BODY:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _answer(sock)
    assert _status(answer) in (0, 400), answer[:200]  # refused, or cut off without an answer
    assert sent < 20 * WEBHOOK_MAX_BODY  # the server stopped reading long before the end
    assert server.application.updates == []

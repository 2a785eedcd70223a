"""A call's life in the fake: recorded on arrival (with the chat it concerns), a fault the test
injected delivered instead, answered at once, or (getUpdates) waited on until updates come; and
the outcome recorded."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.fake_telegram.records import ApiError, Served

if TYPE_CHECKING:
    from tests.fake_telegram.server import HttpServer


@dataclass(eq=False)  # kept in a set: by identity
class Poll:
    """A getUpdates long poll waiting on the server's event loop."""

    wake: asyncio.Event
    terminated: bool = False


class Serving:
    """How FakeTelegram serves a call; the state is FakeTelegram's (`lock`, `served`, `faults`,
    `updates`, `polls`, ...), the methods are `_api_<method>` (BotApiMethods)."""

    lock: threading.Condition
    served: list[Served]
    faults: list[tuple[Callable[[str, dict], bool], ApiError | None]]
    queries: dict[str, int]
    updates: list[dict]
    redelivered: set[int]
    allowed_updates: set[str] | None
    webhook: dict | None
    polls: set[Poll]
    closing: bool
    http: HttpServer

    def arrive(self, method: str, params: dict) -> tuple[Served, ApiError | bool | None]:
        """Record a call; and the fault to deliver instead (an ApiError, None to drop the
        connection), or False for none."""
        with self.lock:
            served = Served(time.monotonic(), method, self._chat_of_call(method, params), params)
            self.served.append(served)
            self.lock.notify_all()
            for index, (when, error) in enumerate(self.faults):
                if when(method, params):
                    del self.faults[index]
                    served.injected = True
                    self._answered(served, error if error is not None else "dropped")
                    return served, error
            return served, False

    def serve(self, served: Served) -> object:
        """Answer a call at once (every method but a waiting getUpdates); raises ApiError."""
        with self.lock:
            try:
                handler = getattr(self, f"_api_{served.method}", None)
                if handler is None:
                    raise ApiError(404, "Not Found")
                result = handler(served)
            except ApiError as error:
                self._answered(served, error)
                raise
            self._answered(served, None)
            return result

    async def get_updates(self, served: Served) -> list[dict]:
        """getUpdates: at once if there are updates (or no timeout), else when one comes."""
        params = served.params
        timeout = max(float(params.get("timeout") or 0), 0.0)
        deadline = time.monotonic() + timeout
        poll = Poll(asyncio.Event())
        with self.lock:
            try:
                if self.webhook is not None:
                    raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                        "active; use deleteWebhook to delete the webhook first")  # fmt: skip
                for other in self.polls:  # one poll at a time: the older one is answered 409
                    other.terminated = True
                self._wake_polls()
                self._confirm(params)
            except ApiError as error:
                self._answered(served, error)
                raise
            self.polls.add(poll)
        try:
            while True:
                with self.lock:
                    if poll.terminated:
                        error = ApiError(409, "Conflict: terminated by other getUpdates request; "
                                              "make sure that only one bot instance is running")  # fmt: skip
                        self._answered(served, error)
                        raise error
                    limit = min(max(int(params.get("limit") or 100), 1), 100)
                    batch = self.updates[:limit]
                    left = deadline - time.monotonic()
                    if batch or left <= 0 or self.closing:
                        served.returned = [u["update_id"] for u in batch]
                        self.redelivered.difference_update(served.returned)
                        self._answered(served, None)
                        return batch
                    poll.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll.wake.wait(), left)
        finally:
            with self.lock:
                self.polls.discard(poll)

    def _chat_of_call(self, method: str, params: dict) -> int | None:
        if method == "answerCallbackQuery":
            return self.queries.get(str(params.get("callback_query_id")))
        chat = params.get("chat_id")
        return chat if isinstance(chat, int) else None

    def _confirm(self, params: dict) -> None:
        if params.get("allowed_updates") is not None:
            self.allowed_updates = set(params["allowed_updates"]) or None
        offset = int(params.get("offset") or 0)
        if offset > 0:
            self.updates = [u for u in self.updates
                            if u["update_id"] >= offset or u["update_id"] in self.redelivered]  # fmt: skip
        elif offset < 0:
            self.updates = self.updates[offset:]

    def _answered(self, served: Served, error: ApiError | str | None) -> None:
        if error is None:
            served.outcome = "ok"
        elif isinstance(error, str):
            served.outcome = error
        else:
            served.outcome = error.code
            served.retry_after = error.retry_after
        self.lock.notify_all()

    def _changed(self) -> None:
        self._wake_polls()
        self.lock.notify_all()

    def _wake_polls(self) -> None:
        for poll in self.polls:
            self.http.call_soon(poll.wake.set)

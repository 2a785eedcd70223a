"""Telegram's limits on the bot's messages (see the package docstring), enforced and counted: per
chat a token bucket, all chats together a sliding window; and, for tests looking back, the most
messages that arrived within any window."""

from __future__ import annotations

import math
from collections import deque

from tests.fake_telegram.records import ApiError, Pace


class Limits:
    """The limits' state: each chat's bucket, the messages of the current window, and the 429s
    answered for them."""

    def __init__(self, pace: Pace):
        self.pace = pace
        self.buckets: dict[int | None, tuple[float, float]] = {}  # chat -> (tokens, when)
        self.recent: deque[float] = deque()  # arrival of accepted messages within `window`
        self.too_many = 0  # 429s answered for the limits (injected ones not counted)
        self.too_many_in_chat = 0  # of which for a chat's bucket (the rest: the overall window)

    def admit(self, chat: int | None, now: float) -> None:
        """Take this message (to `chat`, arrived at `now`), or answer 429 if it would go over
        the chat's bucket or the overall window."""
        pace = self.pace
        tokens = None
        if pace.rate > 0:
            tokens, then = self.buckets.get(chat, (pace.burst, now))
            tokens = min(pace.burst, tokens + max(now - then, 0) * pace.rate)
            if tokens < 1:
                self.too_many_in_chat += 1
                self._too_many((1 - tokens) / pace.rate)
        if pace.overall is not None:
            while self.recent and now - self.recent[0] >= pace.window:
                self.recent.popleft()
            if len(self.recent) >= pace.overall:
                self._too_many(self.recent[0] + pace.window - now)
        # Taken only now that the message goes through: a refused call costs nothing.
        if tokens is not None:
            self.buckets[chat] = (tokens - 1, now)
        if pace.overall is not None:
            self.recent.append(now)

    def _too_many(self, wait: float) -> None:
        self.too_many += 1
        retry = max(1, math.ceil(wait))
        raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)


def most_within(times: list[float], seconds: float) -> int:
    """The most of these sorted times less than `seconds` apart."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most

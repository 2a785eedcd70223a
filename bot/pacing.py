"""The pace that keeps the sending path within Telegram's limits.

Telegram's bots FAQ: "not more than 30 messages per second" overall, and "avoid sending more than
one message per second" in a chat, short bursts tolerated. Per chat, a token bucket: it holds
`burst` tokens and refills at `rate` a second (a burst of a few lets the edit of the answered
question and the next question leave together). Overall, a sliding window: never more than
`overall_rate` messages in any one-second window, with no burst above it (a bucket that starts
full would let twice the rate through within one second).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float  # tokens per second; 0 means unlimited
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.updated = self.clock()

    def reserve(self) -> float:
        """Take a token, possibly ahead of time: seconds to wait before using it."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def full(self) -> bool:
        now = self.clock()
        return self.rate <= 0 or self.tokens + (now - self.updated) * self.rate >= self.burst


class SlidingWindow:
    """At most `rate` sends in any one second (rate 0: unlimited; below 1, one send per
    1/rate seconds).

    Each send reserves a time: now, or one window after the send `count` places before it,
    whichever is later. Reserved times never decrease, so no window holds more than `count`.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.count = max(1, int(rate)) if rate > 0 else 0
        self.window = self.count / rate if rate > 0 else 0.0
        self.clock = clock
        self.reserved: deque[float] = deque(maxlen=self.count or None)

    def reserve(self) -> float:
        """Reserve a send: seconds to wait before making it."""
        if not self.count:
            return 0.0
        now = self.clock()
        at = now
        if len(self.reserved) == self.count:
            at = max(now, self.reserved[0] + self.window)
        self.reserved.append(at)  # the oldest falls out: only the last `count` matter
        return at - now


@dataclass(frozen=True)
class Limits:
    overall_rate: float = 30.0
    chat_rate: float = 1.0
    chat_burst: float = 3.0


class Pacer:
    """One overall sliding window, and one bucket per chat (forgotten once refilled)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self.overall = SlidingWindow(limits.overall_rate, clock)
        self.chats: dict[str, TokenBucket] = {}

    async def wait_turn(self, chat: str) -> None:
        bucket = self.chats.get(chat)
        if bucket is None:
            bucket = self.chats[chat] = TokenBucket(
                self.limits.chat_rate, self.limits.chat_burst, self.clock
            )
        delay = bucket.reserve()
        if delay:
            await asyncio.sleep(delay)
        delay = self.overall.reserve()
        if delay:
            await asyncio.sleep(delay)

    def forget_idle(self) -> None:
        self.chats = {chat: b for chat, b in self.chats.items() if not b.full()}

"""Token buckets that keep the sending path within Telegram's limits.

Telegram allows about 30 messages a second overall and about one a second in a chat, with short
bursts tolerated. A bucket holds `burst` tokens and refills at `rate` per second; sending takes
one token from the chat's bucket and one from the global bucket. A burst of a few lets the edit
of the answered question and the next question leave together.
"""

from __future__ import annotations

import asyncio
import time
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


@dataclass(frozen=True)
class Limits:
    overall_rate: float = 30.0
    overall_burst: float = 30.0
    chat_rate: float = 1.0
    chat_burst: float = 3.0


class Pacer:
    """One global bucket and one bucket per chat (forgotten once refilled)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self.overall = TokenBucket(limits.overall_rate, limits.overall_burst, clock)
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

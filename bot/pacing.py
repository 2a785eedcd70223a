"""The pace that keeps the sending path within Telegram's limits.

Telegram's bots FAQ: "not more than 30 messages per second" overall, and "avoid sending more than
one message per second" in a chat, short bursts tolerated. Per chat, a token bucket: it holds
`burst` tokens and refills at `rate` a second (a burst of a few lets the edit of the answered
question and the next question leave together). Overall, a sliding window: never more than
`overall_rate` messages in any one-second window, with no burst above it (a bucket that starts
full would let twice the rate through within one second).

Replies to people who are answering come first; reminders use spare capacity only. A reply
reserves the next free place in the window (first come, first served across chats, each chat
held to its own bucket, so one busy chat cannot hold the others back). A reminder never reserves
ahead: one at a time, it takes a place only when no reply is waiting and the last second holds
fewer than `reminder_share` of the overall rate, less the rate replies have had over the last
ten seconds (arriving unevenly, they need that room again), so that a burst of due reminders
(600 at once when a campaign's reminders fall due) never takes what replies need.

Telegram's Bot API maintainers have said that replies are limited per chat only, with no overall
cap; `lift_replies` (CIPS_REPLIES_UNLIMITED) lets replies through without the overall window
(counted in it, so that reminders still keep under it). Off by default: conservative.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

SPARE_POLL_S = 0.05  # how often the reminder at the head of the line looks for room
REPLY_HORIZON = 10.0  # seconds over which the recent rate of replies is measured
BUSY = 0.9  # of the overall rate: above this, replies and reminders together leave no room
WINDOW_MARGIN_S = 0.05  # messages arrive up to this much closer together than they were sent


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
        # Telegram counts on arrival: a message held up on its way by a few milliseconds arrives
        # closer to the next ones than it was sent, so the window is kept a little longer.
        self.window = self.count / rate + WINDOW_MARGIN_S if rate > 0 else 0.0
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

    def record(self) -> None:
        """A send made now without waiting for the window (counted, so others keep under it)."""
        if self.count:
            self.reserved.append(max(self.clock(), self.reserved[-1] if self.reserved else 0.0))

    def take_now(self, ceiling: int) -> bool:
        """Reserve a send for now only if nothing is reserved ahead and the last window holds
        fewer than `ceiling` sends; else nothing is reserved."""
        if not self.count:
            return True
        now = self.clock()
        if self.reserved and self.reserved[-1] > now:
            return False  # a reply is waiting for its place
        recent = sum(1 for at in self.reserved if at > now - self.window)
        if recent >= ceiling:
            return False
        self.reserved.append(now)
        return True


@dataclass(frozen=True)
class Limits:
    overall_rate: float = 30.0
    chat_rate: float = 1.0
    chat_burst: float = 3.0
    reminder_share: float = 2 / 3  # of the overall rate, at most, in any second
    lift_replies: bool = False  # replies without the overall window (counted in it)


class Pacer:
    """One overall sliding window, and one bucket per chat (forgotten once refilled)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self.overall = SlidingWindow(limits.overall_rate, clock)
        self.chats: dict[str, TokenBucket] = {}
        self.reminder_ceiling = max(1, int(self.overall.count * limits.reminder_share))
        self.spare_line = asyncio.Lock()  # reminders look for room one at a time, in order
        self.replies: deque[float] = deque()  # when replies were reserved, the last REPLY_HORIZON

    async def wait_turn(self, chat: str, *, spare: bool = False) -> None:
        """Wait until a message to `chat` may go: a reply (`spare` False) in its turn, a
        reminder (`spare`) only in capacity that replies leave unused."""
        bucket = self.chats.get(chat)
        if bucket is None:
            bucket = self.chats[chat] = TokenBucket(
                self.limits.chat_rate, self.limits.chat_burst, self.clock
            )
        delay = bucket.reserve()
        if delay:
            await asyncio.sleep(delay)
        if spare:
            async with self.spare_line:
                while not self.overall.take_now(self._spare_ceiling()):
                    await asyncio.sleep(SPARE_POLL_S)
            return
        self.replies.append(self.clock())
        if self.limits.lift_replies:
            self.overall.record()
        else:
            delay = self.overall.reserve()
            if delay:
                await asyncio.sleep(delay)

    def _spare_ceiling(self) -> int:
        """How many messages the last second may hold for a reminder to go: at most the
        reminders' share of the rate, and less the busier replies have been lately (their rate
        over the last REPLY_HORIZON seconds), so that reminders never take what replies, arriving
        unevenly, will need."""
        horizon = self.clock() - REPLY_HORIZON
        while self.replies and self.replies[0] < horizon:
            self.replies.popleft()
        reply_rate = len(self.replies) / REPLY_HORIZON
        return int(min(self.reminder_ceiling, self.overall.count * BUSY - reply_rate))

    def forget_idle(self) -> None:
        self.chats = {chat: b for chat, b in self.chats.items() if not b.full()}

"""The pace that keeps the sending path within Telegram's limits.

Telegram's bots FAQ: "not more than 30 messages per second" overall, and "avoid sending more than
one message per second" in a chat, short bursts tolerated. Per chat, a token bucket: it holds
`burst` tokens and refills at `rate` a second (a burst of a few lets the edit of the answered
question and the next question leave together). Overall, a sliding window: never more than
`overall_rate` messages in any one-second window as Telegram counts them, on arrival (see
`SlidingWindow`), with no burst above it (a bucket that starts full would let twice the rate
through within one second).

Replies to people who are answering come first; reminders use spare capacity only. A reply
takes the next place in the window (first come, first served across chats, each chat
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
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

SPARE_POLL_S = 0.05  # how often the reminder at the head of the line looks for room
REPLY_HORIZON = 10.0  # seconds over which the recent rate of replies is measured
BUSY = 0.9  # of the overall rate: above this, replies and reminders together leave no room


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


class Place:
    """A message's place in the overall window: held from the moment it leaves until one window
    after Telegram's answer came back (`answered`)."""

    def __init__(self) -> None:
        self.sent_at: float | None = None  # None: waiting for its turn
        self.answered_at: float | None = None  # None: not answered yet
        self._answered = asyncio.Event()

    def answered(self, now: float) -> None:
        if self.answered_at is None:
            self.answered_at = now
            self._answered.set()

    async def wait_answered(self) -> None:
        await self._answered.wait()

    def counts_at(self, now: float, window: float) -> bool:
        """Whether this message may still be inside the window that ends now."""
        return self.answered_at is None or self.answered_at > now - window


class SlidingWindow:
    """At most `count` messages in any window of `count / rate` seconds (rate 0: unlimited).

    Telegram counts a message when it arrives, which is some time after it left and before its
    answer came back. So a place is freed one window after the answer to the message `count`
    places before it: the newest message then arrives at least one window after that one did,
    whatever the network's delays (a message held up on its way cannot bunch with later ones).
    The cost is the round trip per `count` messages (about 30 ms a second at 30 a second).
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.count = max(1, int(rate)) if rate > 0 else 0
        self.window = self.count / rate if rate > 0 else 0.0
        self.clock = clock
        self.places: deque[Place] = deque()  # the last `count` places, oldest first
        self.waiting = 0  # places taken whose message has not left yet

    def _append(self, place: Place) -> Place | None:
        """Add a place; return the one `count` places before it, which it must follow by a
        window (None while fewer than `count` were taken)."""
        before = self.places.popleft() if len(self.places) == self.count else None
        self.places.append(place)
        return before

    async def take(self) -> Place:
        """Wait for a place: the caller sends at once, then calls `place.answered`."""
        place = Place()
        if not self.count:
            place.sent_at = self.clock()
            return place
        before = self._append(place)
        self.waiting += 1
        try:
            if before is not None:
                await before.wait_answered()
                delay = before.answered_at + self.window - self.clock()
                if delay > 0:
                    await asyncio.sleep(delay)
        finally:
            self.waiting -= 1
        place.sent_at = self.clock()
        return place

    def take_now(self, ceiling: int) -> Place | None:
        """A place now, only if no message is waiting for one and fewer than `ceiling` messages
        may be inside the window that ends now; else None."""
        if not self.count:
            place = Place()
            place.sent_at = self.clock()
            return place
        if self.waiting:
            return None
        now = self.clock()
        if sum(1 for p in self.places if p.counts_at(now, self.window)) >= ceiling:
            return None
        place = Place()
        place.sent_at = now
        self._append(place)
        return place

    def record(self) -> Place:
        """A place for a message sent now without waiting (counted, so others keep under it)."""
        place = Place()
        place.sent_at = self.clock()
        if self.count:
            self._append(place)
        return place


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

    @contextlib.asynccontextmanager
    async def turn(self, chat: str, *, spare: bool = False) -> AsyncIterator[None]:
        """Wait until a message to `chat` may go, then send it in the body: a reply (`spare`
        False) in its turn, a reminder (`spare`) only in capacity that replies leave unused. The
        message's place in the overall window is held until the body ends (its answer came
        back, or the call failed)."""
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
                while (place := self.overall.take_now(self._spare_ceiling())) is None:
                    await asyncio.sleep(SPARE_POLL_S)
        else:
            self.replies.append(self.clock())
            if self.limits.lift_replies:
                place = self.overall.record()
            else:
                place = await self.overall.take()
        try:
            yield
        finally:
            place.answered(self.clock())

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

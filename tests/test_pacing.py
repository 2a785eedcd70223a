"""The sender's pace (issue 18, item 2): replies before reminders, reminders in spare capacity
only, never more than the overall rate in any second, and the setting that lifts the overall
rate for replies while reminders keep under it.

Scaled up (50 messages a second instead of 30) so that a run takes about two seconds; the
margins are wide against what breaks: without the priority, a reply waits behind every reminder
queued before it (more than a second here).
"""

from __future__ import annotations

import asyncio
import time

from bot.pacing import Limits, Pacer
from tests.fake_telegram.limits import most_within

RATE = 50
REMINDERS = 80


async def _run(limits: Limits) -> tuple[list[float], list[tuple[float, str]]]:
    """80 reminders due at once, then a reply every 50 ms for a second (five chats in turn):
    how long each reply waited, and when each message went (and which kind)."""
    pacer = Pacer(limits)
    sent: list[tuple[float, str]] = []
    waits: list[float] = []

    async def reminder(number: int) -> None:
        async with pacer.turn(f"r{number}", spare=True):
            sent.append((time.monotonic(), "reminder"))

    async def reply(number: int) -> None:
        asked = time.monotonic()
        async with pacer.turn(f"c{number % 5}"):
            waits.append(time.monotonic() - asked)
            sent.append((time.monotonic(), "reply"))

    reminders = [asyncio.create_task(reminder(i)) for i in range(REMINDERS)]
    await asyncio.sleep(0.05)  # the reminders are in line first
    replies = []
    for number in range(20):
        replies.append(asyncio.create_task(reply(number)))
        await asyncio.sleep(0.05)
    await asyncio.gather(*replies, *reminders)
    return waits, sent


def test_replies_go_first_and_reminders_use_spare_capacity():
    waits, sent = asyncio.run(_run(Limits(overall_rate=RATE, chat_rate=0, chat_burst=1)))
    assert max(waits) < 0.3, waits  # without the priority: behind 80 reminders, over a second
    times = [at for at, _ in sent]
    assert most_within(times, 0.99) <= RATE
    reminder_times = [at for at, kind in sent if kind == "reminder"]
    assert len(reminder_times) == REMINDERS  # all sent in the end
    assert most_within(reminder_times, 0.99) <= RATE * 2 / 3  # their share, at most


def test_lifted_overall_rate_for_replies_keeps_reminders_under_it():
    limits = Limits(overall_rate=RATE, chat_rate=0, chat_burst=1, lift_replies=True)
    waits, sent = asyncio.run(_run(limits))
    assert max(waits) < 0.05  # replies never wait for the overall window
    # Replies are counted: a reminder goes only while the last second, replies included, holds
    # fewer than the reminders' share of the rate.
    times = sorted(at for at, _ in sent)
    for at, kind in sent:
        if kind == "reminder":
            before = sum(1 for other in times if at - 0.99 < other < at)
            assert before < RATE * 2 / 3, (before, at)


def test_messages_held_up_on_their_way_never_bunch_where_telegram_counts_them():
    """Telegram counts a message on arrival. Every 50th message here takes 0.3 s to arrive (a slow
    network, a busy machine), the others none: paced by when they left, the late one arrives
    among the next second's messages (51 within one second); paced by when its answer came back,
    never more than the rate."""

    async def run() -> list[float]:
        pacer = Pacer(Limits(overall_rate=RATE, chat_rate=0, chat_burst=1))
        arrivals: list[float] = []

        async def message(number: int) -> None:
            async with pacer.turn(f"c{number}"):
                await asyncio.sleep(0.3 if number % RATE == 0 else 0)
                arrivals.append(time.monotonic())  # Telegram answers as the message arrives

        await asyncio.gather(*(message(i) for i in range(3 * RATE)))
        return sorted(arrivals)

    arrivals = asyncio.run(run())
    assert len(arrivals) == 3 * RATE
    assert most_within(arrivals, 1.0) <= RATE
    assert arrivals[-1] - arrivals[0] < 3.5  # the rate kept: three windows and the delays

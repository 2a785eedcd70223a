"""The way a response was given (its channel) and the figures per channel, for coordinators.

Four channels: `chat` (the Telegram bot's conversation), `miniapp` (the same questionnaire as a
form inside Telegram), `web` (the web survey's open link) and `code` (the web survey with a
one-time access code). A channel's transport says which it is when it hands the engine an event:
`Sender.entry` (survey.engine.events); without one, a Telegram sender is the chat and a web
sender the link. The Mini App's routes send `Sender("telegram", user_id, entry=MINIAPP)`: the
same contact and participation mark as the chat (one person, one response), counted under the
Mini App when the response starts there.

A response counts under the channel where it started (where consent was given), whatever the
person switches to afterwards, so each response counts once. The channel is kept on the live
`Respondent` row only (it is deleted at sealing); the figures come from `ChannelCount`: the
live part kept by database triggers (migration 0016), the sealed part added here by sealing,
per batch, in the sealing transaction. A sealed response carries no channel, so the channel
cannot narrow down who gave a sealed response; coordinators see counts, suppressed like every
breakdown (survey.suppression).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from survey.storage.models import ChannelCount, RespondentStatus, SealedStatus
from survey.suppression import suppress

CHAT = "chat"
MINIAPP = "miniapp"
WEB = "web"
CODE = "code"
CHANNELS = (CHAT, MINIAPP, WEB, CODE)
NOT_RECORDED = ""  # responses sealed before channels were counted

_BY_TRANSPORT = {"telegram": CHAT, "web": WEB}


def recorded(transport: str, entry: str | None = None) -> str:
    """The channel to record for a response started by a sender of `transport` ('telegram',
    'web') that said `entry` (None: the transport's usual one)."""
    if entry in CHANNELS:
        return entry
    return _BY_TRANSPORT.get(transport, transport[:8])


@dataclass(frozen=True)
class ChannelRow:
    """A channel's funnel: started (consented), in progress, withdrew, completed; the whole row
    is None (suppressed) when fewer than k started there."""

    key: str
    started: int | None
    in_progress: int | None
    withdrawn: int | None
    completed: int | None
    completion_rate: float | None
    suppressed: bool


def count_sealed(
    session: Session, campaign_id: int, sealed: Iterable[tuple[str, str | None]]
) -> None:
    """Add a sealed batch's responses, `(sealed status, channel)` each, to the sealed counters
    (in the sealing transaction; the triggers take them off the live ones as the rows go)."""
    counts = Counter((status, channel or NOT_RECORDED) for status, channel in sealed)
    rows = [
        {"c": campaign_id, "st": str(status), "ch": channel, "n": n}
        for (status, channel), n in sorted(counts.items())  # key order, as the triggers lock
    ]
    if not rows:
        return
    session.execute(
        text(
            "INSERT INTO channel_counts (campaign_id, sealed, status, channel, n) "
            "VALUES (:c, 1, :st, :ch, :n) ON CONFLICT (campaign_id, sealed, status, channel) "
            "DO UPDATE SET n = channel_counts.n + excluded.n"
        ),
        rows,
    )


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def channel_rows(session: Session, campaign_id: int, k: int) -> tuple[ChannelRow, ...]:
    """The campaign's funnel per channel, from the counters, suppressed (the four channels
    always, zeros shown; '' only when some responses were sealed before channels were counted).
    A response cut off by the close counts as in progress, as on the rest of the dashboard."""
    by: dict[str, Counter] = {}
    for status, channel, n in session.execute(
        select(ChannelCount.status, ChannelCount.channel, ChannelCount.n).where(
            ChannelCount.campaign_id == campaign_id, ChannelCount.n != 0
        )
    ):
        if status == SealedStatus.CUT_OFF:
            status = RespondentStatus.IN_PROGRESS
        by.setdefault(channel, Counter())[status] += n
    order = [*CHANNELS, *sorted(set(by) - set(CHANNELS))]
    started = {key: sum(by.get(key, Counter()).values()) for key in order}
    shown = suppress(started, k)
    rows = []
    for key in order:
        counts = by.get(key, Counter())
        hidden = shown[key] is None

        def cell(status: str, counts: Counter = counts, hidden: bool = hidden) -> int | None:
            return None if hidden else counts[status]

        rows.append(
            ChannelRow(
                key=key,
                started=None if hidden else started[key],
                in_progress=cell(RespondentStatus.IN_PROGRESS),
                withdrawn=cell(RespondentStatus.WITHDRAWN),
                completed=cell(RespondentStatus.COMPLETED),
                completion_rate=None
                if hidden
                else _rate(counts[RespondentStatus.COMPLETED], started[key]),
                suppressed=hidden,
            )
        )
    return tuple(row for row in rows if row.key in CHANNELS or started[row.key])

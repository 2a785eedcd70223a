"""The campaign list and every campaign's figures, read through the engine alone (SQLAlchemy Core).

Why not through the models: importing the ORM and mapping the ~30 models takes about a quarter
of a second, half of the budget `cips campaign list` has to start and finish in (issue 22,
bench/cli_start.py). So the few columns read here are named here; tests/test_campaign_list.py
checks each against the models, so a renamed or retyped column fails there.

The figures come from the participation counters (migration 0008, kept by triggers): responses
under way or waiting for their seal, and sealed ones, without counting a row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Integer, String, column, select, table

from survey.storage.types import FINISHED, CampaignStatus, RespondentStatus, UTCDateTime

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

CAMPAIGNS = table(
    "campaigns",
    column("id", Integer),
    column("code", String),
    column("administration_id", Integer),
    column("questionnaire_id", String),
    column("wave", String),
    column("opens_at", UTCDateTime),
    column("closes_at", UTCDateTime),
    column("closed_at", UTCDateTime),
    column("archived_at", UTCDateTime),
)
ADMINISTRATIONS = table("administrations", column("id", Integer), column("code", String))
PARTICIPATION_COUNTS = table(
    "participation_counts",
    column("campaign_id", Integer),
    column("sealed", Integer),  # 0 live, 1 sealed
    column("status", String),
    column("n", Integer),
)


@dataclass(frozen=True)
class CampaignFigures:
    started: int
    completed: int
    withdrawn: int
    awaiting_seal: int  # finished, still linkable, until k of them can be sealed together

    @property
    def completion_rate(self) -> float | None:
        return 100 * self.completed / self.started if self.started else None


@dataclass(frozen=True)
class ListedCampaign:
    """One line of `cips campaign list`."""

    code: str
    administration: str  # its code
    questionnaire_id: str
    wave: str
    status: CampaignStatus
    archived: bool
    figures: CampaignFigures


def figures_by_campaign(
    bind: Connection | Session, campaign_ids: Collection[int]
) -> dict[int, CampaignFigures]:
    """The figures of each of these campaigns, in one query."""
    counts: dict[int, dict[str, int]] = {campaign_id: {} for campaign_id in campaign_ids}
    live: dict[int, dict[str, int]] = {campaign_id: {} for campaign_id in campaign_ids}
    counters = PARTICIPATION_COUNTS.c
    for campaign_id, sealed, status, n in bind.execute(
        select(counters.campaign_id, counters.sealed, counters.status, counters.n).where(
            counters.campaign_id.in_(list(counts)), counters.n != 0
        )
    ):
        counts[campaign_id][status] = counts[campaign_id].get(status, 0) + n
        if not sealed:
            live[campaign_id][status] = live[campaign_id].get(status, 0) + n
    return {
        campaign_id: CampaignFigures(
            started=sum(counted.values()),
            completed=counted.get(RespondentStatus.COMPLETED, 0),
            withdrawn=counted.get(RespondentStatus.WITHDRAWN, 0),
            awaiting_seal=sum(live[campaign_id].get(s, 0) for s in FINISHED),
        )
        for campaign_id, counted in counts.items()
    }


def listed_campaigns(
    connection: Connection, now: dt.datetime, *, with_archived: bool = False
) -> list[ListedCampaign]:
    """Every campaign in the order they were created, the archived ones only if asked."""
    c = CAMPAIGNS.c
    query = (
        select(CAMPAIGNS, ADMINISTRATIONS.c.code.label("administration"))
        .join(ADMINISTRATIONS, ADMINISTRATIONS.c.id == c.administration_id)
        .order_by(c.id)
    )
    if not with_archived:
        query = query.where(c.archived_at.is_(None))
    rows = connection.execute(query).all()
    figures = figures_by_campaign(connection, [row.id for row in rows])
    return [
        ListedCampaign(
            code=row.code,
            administration=row.administration,
            questionnaire_id=row.questionnaire_id,
            wave=row.wave,
            status=CampaignStatus.at(now, row.opens_at, row.closes_at, row.closed_at),
            archived=row.archived_at is not None,
            figures=figures[row.id],
        )
        for row in rows
    ]

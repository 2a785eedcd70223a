"""Per-day participation figures as counters: responses started and completed per campaign and
UTC day. Sealed responses keep no date (DESIGN.md, Anonymity 3), so the dashboard's per-day
chart reads these instead."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from survey.dashboard import DayRow, days_grouped  # the dashboard's grouping rule, shared
from survey.dashboard.counters import day_counts
from survey.storage.models import Campaign, DailyCount


def count(
    session: Session, campaign_id: int, day: dt.date, *, started: int = 0, completed: int = 0
) -> None:
    """Add to the day's counters (one statement: concurrent answers never lose a count)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(DailyCount).values(
        campaign_id=campaign_id, day=day, started=started, completed=completed
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["campaign_id", "day"],
            set_={
                "started": DailyCount.started + statement.excluded.started,
                "completed": DailyCount.completed + statement.excluded.completed,
            },
        )
    )


def wave_per_day(session: Session, campaigns: list[Campaign], k: int) -> tuple[DayRow, ...]:
    """Started and completed per day over `campaigns` together (a wave's released ones, on its
    results page), suppressed and grouped as the dashboard's, up to the last one's close."""
    if not campaigns:
        return ()
    started, completed = day_counts(session, [c.id for c in campaigns])
    closes = [c.closed_at or c.closes_at for c in campaigns if c.closed_at or c.closes_at]
    until = max(closes).date() if closes else dt.datetime.now(dt.UTC).date()
    return days_grouped(started, completed, k, until)

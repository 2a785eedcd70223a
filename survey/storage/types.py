"""Column types and stored values shared by the models and the reads that skip them
(`survey.campaign_list`): importing this maps no model."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import DateTime, TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use UTC-aware datetimes")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class CampaignStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"

    @classmethod
    def at(
        cls,
        now: dt.datetime,
        opens_at: dt.datetime | None,
        closes_at: dt.datetime | None,
        closed_at: dt.datetime | None,
    ) -> CampaignStatus:
        """The status at `now` of a campaign with these dates (`closed_at`: closed by hand)."""
        if closed_at is not None or (closes_at is not None and now >= closes_at):
            return cls.CLOSED
        if opens_at is not None and now < opens_at:
            return cls.SCHEDULED
        return cls.OPEN


class RespondentStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


# A response in one of these states is finished: it waits to be sealed (survey.sealing).
FINISHED = (RespondentStatus.COMPLETED, RespondentStatus.WITHDRAWN)

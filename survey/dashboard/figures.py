"""The campaign dashboard's figures as typed, frozen objects, and their JSON shape
(`Dashboard.as_json`): what the web page, its CSV and XLSX downloads and the JSON API show.

A value of None in a row is a suppressed cell (`suppressed` says whether the row hides any)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from survey.channels import ChannelRow


@dataclass(frozen=True)
class CampaignInfo:
    code: str
    administration: str
    questionnaire: str
    wave: str
    status: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class Totals:
    started: int
    in_progress: int
    completed: int
    withdrawn: int
    awaiting_seal: int  # finished, still linkable, until k of them can be sealed together
    completion_rate: float | None
    target_population: int | None
    response_rate: float | None


@dataclass(frozen=True)
class Precision:
    margin_of_error: float | None
    target_margin: float | None
    completed_needed: int | None
    target_met: bool | None


@dataclass(frozen=True)
class DayRow:
    """The responses started and completed in the `days` days from `date` (one day, unless the
    days are grouped: see `survey.dashboard.breakdowns.days_grouped`)."""

    date: dt.date
    started: int | None  # None: suppressed
    completed: int | None
    suppressed: bool
    days: int = 1

    @property
    def last(self) -> dt.date:
        return self.date + dt.timedelta(days=self.days - 1)

    @property
    def label(self) -> str:
        """The day, or the period as an ISO 8601 interval (2026-11-02/2026-11-08)."""
        if self.days == 1:
            return self.date.isoformat()
        return f"{self.date.isoformat()}/{self.last.isoformat()}"


@dataclass(frozen=True)
class FunnelRow:
    question_id: str
    number: int
    reached: int | None
    left_off: int | None
    suppressed: bool


@dataclass(frozen=True)
class GroupRow:
    """A row of a breakdown: `key` is the language code or the channel tag ('' the plain link)."""

    key: str
    started: int | None
    completed: int | None
    completion_rate: float | None
    suppressed: bool


@dataclass(frozen=True)
class ReminderDay:
    day: dt.date
    sent: int
    answered_again: int | None


@dataclass(frozen=True)
class ReminderFigures:
    sent: int
    answered_again: int
    answered_again_rate: float | None
    per_day: tuple[ReminderDay, ...]


@dataclass(frozen=True)
class Dashboard:
    campaign: CampaignInfo
    as_of: dt.datetime
    min_cell: int
    totals: Totals
    precision: Precision
    per_day: tuple[DayRow, ...]
    funnel: tuple[FunnelRow, ...]
    by_language: tuple[GroupRow, ...]
    by_source: tuple[GroupRow, ...]
    reminders: ReminderFigures | None
    by_channel: tuple[ChannelRow, ...] = ()

    @property
    def final(self) -> bool:
        """Closed and released: the figures no longer change, and those still in progress
        (`totals.in_progress`) are the responses the close cut off."""
        return self.campaign.closed_at is not None

    def as_json(self) -> dict[str, Any]:
        """The JSON API's shape (README, "The JSON API"): dates as ISO strings."""

        def when(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        def group(row: GroupRow | ChannelRow, name: str) -> dict[str, Any]:
            return {name: row.key, **{k: v for k, v in asdict(row).items() if k != "key"}}

        reminders = None
        if self.reminders is not None:
            reminders = {
                "sent": self.reminders.sent,
                "answered_again": self.reminders.answered_again,
                "answered_again_rate": self.reminders.answered_again_rate,
                "per_day": [
                    {"day": d.day.isoformat(), "sent": d.sent, "answered_again": d.answered_again}
                    for d in self.reminders.per_day
                ],
            }
        campaign = asdict(self.campaign)
        for name in ("opens_at", "closes_at", "closed_at"):
            campaign[name] = when(campaign[name])
        return {
            "campaign": campaign,
            "as_of": self.as_of.isoformat(timespec="seconds"),
            "min_cell": self.min_cell,
            "totals": asdict(self.totals),
            "precision": asdict(self.precision),
            "per_day": [{**asdict(d), "date": d.date.isoformat()} for d in self.per_day],
            "funnel": [asdict(row) for row in self.funnel],
            "by_language": [group(row, "language") for row in self.by_language],
            "by_source": [group(row, "source") for row in self.by_source],
            "by_channel": [group(row, "channel") for row in self.by_channel],
            "reminders": reminders,
        }

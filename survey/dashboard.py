"""A campaign's live figures for coordinators: read from counters, suppressed before anyone sees
them.

`campaign_dashboard` returns a `Dashboard` (typed, frozen) that the web page, its CSV and XLSX
downloads and the JSON API (`Dashboard.as_json`) all show:

- totals: started (consented), in progress, completed, withdrawn, completion rate, and the
  response rate against the target population;
- precision: the margin of error the completed responses give (95%, worst case p = 0.5, with the
  finite population correction when the target population is known) against the target margin,
  and how many completed responses the target margin needs;
- per day: responses started and completed each day;
- the dropout funnel: per question, in the order asked, how many got at least that far and how
  many left off there (still in progress there, or withdrew there);
- by language and by source tag: started, completed, completion rate;
- by channel (chat, Mini App, web link, access code: survey.channels): started, in progress,
  withdrew, completed, completion rate;
- reminders: sent per day and answered again within 24 h (None before the first reminder).

Where the figures come from: counters, never a scan of the responses. `participation_counts`
(per sealed or not, status, language and channel) and `left_off_counts` (per question) are kept
by database triggers in the transaction of every change to a response (migration 0008);
`daily_counts` by the engine (survey.daily); `reminder_day_counts` (reminders sent and answered
again per day) by triggers too; `channel_counts` by triggers and sealing (survey.channels). A
view reads a few dozen counter rows, whatever the number of respondents.

Every breakdown obeys the small-cell suppression of SCORING.md, by the one rule of
`survey.suppression`: a group of 1..k-1 respondents is shown empty, and when exactly one group
of a breakdown is suppressed the smallest non-empty other group is too. A count of zero describes
nobody and is shown. Totals are not a breakdown and are exact.

Where people left off: the respondent's `position` (the question they were at). A withdrawn
respondent whose position was cleared (data from before the engine kept it) is counted under ''
and placed at the question after the furthest one they answered, which reads their answers: only
databases that hold such responses pay for it. "Got that far" counts everybody who is at or
beyond a question, so a question shown only to some (skip logic) counts those who passed it too.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from survey.channels import ChannelRow, channel_rows
from survey.questionnaire import Questionnaire
from survey.storage.models import (
    FINISHED,
    Answer,
    Campaign,
    DailyCount,
    LeftOffCount,
    ParticipationCount,
    ReminderDayCount,
    Respondent,
    RespondentStatus,
    SealedAnswer,
    SealedResponse,
    SealedStatus,
)
from survey.suppression import suppress

Z_95 = 1.959964
NO_SOURCE = ""  # the source value of respondents who came through the plain link
UNPLACED = ""  # the left-off counter of withdrawn responses whose position was cleared


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
    days are grouped: see `_per_day`)."""

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


# Days per bar tried in turn for the per-day figures: the first that hides no day's starts wins.
PERIODS = (1, 2, 3, 7, 14, 28)


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


def margin_of_error(completed: int, population: int | None) -> float | None:
    """Half-width (percentage points) of the 95% interval of a proportion, worst case p = 0.5."""
    if completed <= 0:
        return None
    if population is not None and completed >= population:
        return 0.0
    margin = Z_95 * math.sqrt(0.25 / completed)
    if population is not None and population > 1:
        margin *= math.sqrt((population - completed) / (population - 1))
    return 100 * margin


def responses_needed(target_margin: float, population: int | None) -> int:
    """Completed responses that bring the margin of error down to `target_margin` points."""
    n0 = Z_95**2 * 0.25 / (target_margin / 100) ** 2
    if population is None:
        return math.ceil(n0)
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def _rate(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return round(100 * part / whole, 1)


def _group_rows(
    started: Counter, completed: Counter, order: list[Hashable], k: int
) -> tuple[GroupRow, ...]:
    """Rows of a breakdown; a row is suppressed as a whole when its group (started) is small."""
    shown = suppress({key: started[key] for key in order}, k)
    rows = []
    for key in order:
        hidden = shown[key] is None
        rows.append(
            GroupRow(
                key=key,
                started=None if hidden else started[key],
                completed=None if hidden else completed[key],
                completion_rate=None if hidden else _rate(completed[key], started[key]),
                suppressed=hidden,
            )
        )
    return tuple(rows)


def funnel(
    questions: list[str], left_off: Mapping[str, int], completed: int, k: int
) -> tuple[FunnelRow, ...]:
    """Per question id (in the order asked): how many got that far, how many left off there.

    "Got that far" is cumulative, so two shown values bracket a sum of left-off cells; a value is
    only shown where that sum does not isolate a single suppressed cell.
    """
    shown_left = suppress({q: left_off.get(q, 0) for q in questions}, k)
    hidden = [shown_left[q] is None for q in questions]
    reached = []
    running = completed
    for question in reversed(questions):
        running += left_off.get(question, 0)
        reached.append(running)
    reached.reverse()
    # Boundaries: the first question (everyone who started) and the end (the completed) are
    # known totals. Between two shown boundaries the left-off cells must hold no suppressed cell
    # or at least two; the walk shows every value it can, then undoes the last ones if the final
    # stretch isolates one.
    show_reached = [index == 0 for index in range(len(questions))]
    boundaries = [0]
    count = 0
    for index in range(1, len(questions)):
        count += hidden[index - 1]
        if count != 1:
            show_reached[index] = True
            boundaries.append(index)
            count = 0
    count += hidden[-1] if questions else 0
    while count == 1 and len(boundaries) > 1:
        undone = boundaries.pop()
        show_reached[undone] = False
        count += sum(hidden[boundaries[-1] : undone])
    return tuple(
        FunnelRow(
            question_id=question,
            number=index + 1,
            reached=reached[index] if show_reached[index] else None,
            left_off=shown_left[question],
            suppressed=hidden[index] or not show_reached[index],
        )
        for index, question in enumerate(questions)
    )


def _per_day(started: Counter, completed: Counter, k: int, until: dt.date) -> tuple[DayRow, ...]:
    """Started and completed per day, suppressed; at low counts, per group of days.

    A day with fewer than k starts is hidden (and one more with it), so while few people answer
    every day would be hidden and the chart empty. The days are then grouped (by 2, 3, 7, 14, 28,
    else all together; counted back from the last day, the first group taking the days left
    over) until no group's starts are hidden; a group is shown only if it holds at least k, like
    any cell. Below k starts in all, every day stays hidden.
    """
    if not started:
        return ()
    first = min(started.keys() | completed.keys())
    last = max(until, *started, *completed)
    span = (last - first).days + 1
    widths = [w for w in PERIODS if w < span] + [span]
    rows = ()
    for width in widths:
        rows = _grouped(started, completed, k, first, last, width)
        if all(row.started is not None for row in rows) or width == widths[-1]:
            break
    if any(row.started is not None for row in rows):
        return rows
    return _grouped(started, completed, k, first, last, 1)  # fewer than k in all


def _grouped(
    started: Counter, completed: Counter, k: int, first: dt.date, last: dt.date, width: int
) -> tuple[DayRow, ...]:
    # Counted back from the last day, so that the latest group is whole; the days left over at
    # the beginning (fewer than `width`) join the first group.
    span = (last - first).days + 1
    starts = [last - dt.timedelta(days=i + width - 1) for i in range(0, span - width + 1, width)]
    starts.reverse()
    starts[0] = first
    ends = [*(start - dt.timedelta(days=1) for start in starts[1:]), last]
    days = {start: (end - start).days + 1 for start, end in zip(starts, ends, strict=True)}

    def total(counts: Counter, start: dt.date) -> int:
        return sum(counts[start + dt.timedelta(days=i)] for i in range(days[start]))

    shown_started = suppress({d: total(started, d) for d in starts}, k)
    shown_completed = suppress({d: total(completed, d) for d in starts}, k)
    return tuple(
        DayRow(
            date=start,
            started=shown_started[start],
            completed=shown_completed[start],
            suppressed=shown_started[start] is None or shown_completed[start] is None,
            days=days[start],
        )
        for start in starts
    )


def _left_off_counts(session: Session, campaign: Campaign, questionnaire: Questionnaire) -> Counter:
    """Responses not completed (live or sealed), counted by the question where they left off,
    from the counters. Withdrawn responses whose position was cleared (counted under
    `UNPLACED`) are placed after the furthest question they answered, which reads their
    answers (only databases from before the engine kept positions hold any)."""
    counts: Counter = Counter()
    for position, n in session.execute(
        select(LeftOffCount.position, LeftOffCount.n).where(
            LeftOffCount.campaign_id == campaign.id, LeftOffCount.n != 0
        )
    ):
        counts[position] += n
    if not counts.pop(UNPLACED, 0):
        return counts
    questions = questionnaire.questions
    order = {q.id: index for index, q in enumerate(questions)}
    for model, answer, key in (
        (Respondent, Answer, Answer.respondent_id),
        (SealedResponse, SealedAnswer, SealedAnswer.response_id),
    ):
        furthest = (
            select(func.max(case(order, value=answer.question_id, else_=-1)).label("furthest"))
            .select_from(model)
            .outerjoin(answer, key == model.id)
            .where(
                model.campaign_id == campaign.id,
                model.status != RespondentStatus.COMPLETED,
                model.status != RespondentStatus.IN_PROGRESS,
                model.position.is_(None),
            )
            .group_by(model.id)
            .subquery()
        )
        for index, n in session.execute(
            select(furthest.c.furthest, func.count()).group_by(furthest.c.furthest)
        ):
            following = min((-1 if index is None else index) + 1, len(questions) - 1)
            counts[questions[following].id] += n
    return counts


def _status_groups(session: Session, campaign: Campaign) -> list[tuple[bool, str, str, str, int]]:
    """(sealed, status, language, source tag, count) over the campaign's live and sealed
    responses, from their counters. A sealed response cut off by the close counts as in
    progress (it was, when the campaign closed)."""
    rows = session.execute(
        select(
            ParticipationCount.sealed,
            ParticipationCount.status,
            ParticipationCount.language,
            ParticipationCount.source_tag,
            ParticipationCount.n,
        ).where(ParticipationCount.campaign_id == campaign.id, ParticipationCount.n != 0)
    )
    return [
        (
            bool(sealed),
            RespondentStatus.IN_PROGRESS if status == SealedStatus.CUT_OFF else status,
            language,
            source,
            n,
        )
        for sealed, status, language, source, n in rows
    ]


def _days(session: Session, campaign: Campaign) -> tuple[Counter, Counter]:
    """Responses started and completed per day, from the counters (sealed ones carry no date)."""
    started: Counter = Counter()
    completed: Counter = Counter()
    for day, n_started, n_completed in session.execute(
        select(DailyCount.day, DailyCount.started, DailyCount.completed).where(
            DailyCount.campaign_id == campaign.id
        )
    ):
        if n_started:
            started[day] = n_started
        if n_completed:
            completed[day] = n_completed
    return started, completed


def campaign_dashboard(
    session: Session,
    campaign: Campaign,
    questionnaire: Questionnaire,
    *,
    min_cell: int,
    now: dt.datetime | None = None,
) -> Dashboard:
    """Every figure of the campaign dashboard, suppressed."""
    now = now or dt.datetime.now(dt.UTC)
    k = min_cell
    by_status: Counter = Counter()
    started_by = {"language": Counter(), "source": Counter()}
    completed_by = {"language": Counter(), "source": Counter()}
    awaiting_seal = 0
    for sealed, status, language, source, n in _status_groups(session, campaign):
        by_status[status] += n
        if not sealed and status in FINISHED:
            awaiting_seal += n
        started_by["language"][language] += n
        started_by["source"][source or NO_SOURCE] += n
        if status == RespondentStatus.COMPLETED:
            completed_by["language"][language] += n
            completed_by["source"][source or NO_SOURCE] += n
    started_on, completed_on = _days(session, campaign)
    started = sum(by_status.values())
    completed = by_status[RespondentStatus.COMPLETED]

    offered = campaign.administration.language_list
    languages = offered + sorted(set(started_by["language"]) - set(offered))
    tags = [source.tag for source in campaign.sources]
    sources = [NO_SOURCE, *tags, *sorted(set(started_by["source"]) - {NO_SOURCE, *tags})]

    population = campaign.target_population
    margin = margin_of_error(completed, population)
    target = campaign.target_margin
    closed_on = (campaign.closed_at or campaign.closes_at or now).date()
    return Dashboard(
        campaign=CampaignInfo(
            code=campaign.code,
            administration=campaign.administration.code,
            questionnaire=campaign.questionnaire_id,
            wave=campaign.wave,
            status=str(campaign.status(now)),
            opens_at=campaign.opens_at,
            closes_at=campaign.closes_at,
            closed_at=campaign.closed_at,
        ),
        as_of=now,
        min_cell=k,
        totals=Totals(
            started=started,
            in_progress=by_status[RespondentStatus.IN_PROGRESS],
            completed=completed,
            withdrawn=by_status[RespondentStatus.WITHDRAWN],
            awaiting_seal=awaiting_seal,
            completion_rate=_rate(completed, started),
            target_population=population,
            response_rate=_rate(completed, population),
        ),
        precision=Precision(
            margin_of_error=None if margin is None else round(margin, 2),
            target_margin=target,
            completed_needed=responses_needed(target, population) if target else None,
            target_met=None if target is None or margin is None else margin <= target,
        ),
        per_day=_per_day(started_on, completed_on, k, min(now.date(), closed_on)),
        funnel=funnel(
            [q.id for q in questionnaire.questions],
            _left_off_counts(session, campaign, questionnaire),
            completed,
            k,
        ),
        by_language=_group_rows(started_by["language"], completed_by["language"], languages, k),
        by_source=_group_rows(started_by["source"], completed_by["source"], sources, k),
        reminders=_reminders(session, campaign.id, k),
        by_channel=channel_rows(session, campaign.id, k),
    )


def _reminders(session: Session, campaign_id: int, k: int) -> ReminderFigures | None:
    """Reminders sent per day and how many brought an answer within 24 h (small cells hidden),
    from their counters (the sums of `reminders_sent` per day)."""
    days = session.execute(
        select(ReminderDayCount.day, ReminderDayCount.sent, ReminderDayCount.answered_again)
        .where(ReminderDayCount.campaign_id == campaign_id, ReminderDayCount.sent != 0)
        .order_by(ReminderDayCount.day)
    ).all()
    if not days:
        return None
    again = suppress({day: answered for day, _, answered in days}, k)
    sent = sum(n for _, n, _ in days)
    answered_again = sum(answered for _, _, answered in days)
    return ReminderFigures(
        sent=sent,
        answered_again=answered_again,
        answered_again_rate=_rate(answered_again, sent),
        per_day=tuple(ReminderDay(day, n, again[day]) for day, n, _ in days),
    )

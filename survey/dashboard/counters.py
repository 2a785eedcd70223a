"""Where the dashboard's figures come from: counters, never a scan of the responses.

`participation_counts` (per sealed or not, status, language and channel) and `left_off_counts`
(per question) are kept by database triggers in the transaction of every change to a response
(migration 0008); `daily_counts` by the engine (survey.daily); `reminder_day_counts` (reminders
sent and answered again per day) by triggers too; `channel_counts` by triggers and sealing
(survey.channels). A view reads a few dozen counter rows, whatever the number of respondents.

Where people left off: the respondent's `position` (the question they were at). A withdrawn
respondent whose position was cleared (data from before the engine kept it) is counted under ''
and placed at the question after the furthest one they answered, which reads their answers: only
databases that hold such responses pay for it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from survey.questionnaire import Questionnaire
from survey.storage.models import (
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

UNPLACED = ""  # the left-off counter of withdrawn responses whose position was cleared


def status_groups(session: Session, campaign: Campaign) -> list[tuple[bool, str, str, str, int]]:
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


def day_counts(session: Session, campaign_ids: Collection[int]) -> tuple[Counter, Counter]:
    """Responses started and completed per day over these campaigns together, from the counters
    (sealed ones carry no date); a day with none is left out."""
    started: Counter = Counter()
    completed: Counter = Counter()
    for day, n_started, n_completed in session.execute(
        select(DailyCount.day, DailyCount.started, DailyCount.completed).where(
            DailyCount.campaign_id.in_(list(campaign_ids))
        )
    ):
        started[day] += n_started
        completed[day] += n_completed
    return +started, +completed


def left_off_counts(session: Session, campaign: Campaign, questionnaire: Questionnaire) -> Counter:
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


def reminder_days(session: Session, campaign_id: int) -> list[tuple[dt.date, int, int]]:
    """(day, reminders sent, answered again within 24 h) per day a reminder went out, in order,
    from their counters (the sums of `reminders_sent` per day)."""
    rows = session.execute(
        select(ReminderDayCount.day, ReminderDayCount.sent, ReminderDayCount.answered_again)
        .where(ReminderDayCount.campaign_id == campaign_id, ReminderDayCount.sent != 0)
        .order_by(ReminderDayCount.day)
    )
    return [(day, sent, answered_again) for day, sent, answered_again in rows]

"""The dashboard's breakdowns, suppressed, from counts already read (no database here): by
language and by source tag, the dropout funnel, the per-day figures and the reminders per day.

Every breakdown obeys the small-cell suppression of SCORING.md, by the one rule of
`survey.suppression`: a group of 1..k-1 respondents is shown empty, and when exactly one group
of a breakdown is suppressed the smallest non-empty other group is too. A count of zero describes
nobody and is shown. Totals are not a breakdown and are exact.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Hashable, Mapping

from survey.dashboard.figures import DayRow, FunnelRow, GroupRow, ReminderDay, ReminderFigures
from survey.dashboard.rates import rate
from survey.suppression import suppress

# Days per bar tried in turn for the per-day figures: the first that hides no day's starts wins.
PERIODS = (1, 2, 3, 7, 14, 28)


def group_rows(
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
                completion_rate=None if hidden else rate(completed[key], started[key]),
                suppressed=hidden,
            )
        )
    return tuple(rows)


def funnel(
    questions: list[str], left_off: Mapping[str, int], completed: int, k: int
) -> tuple[FunnelRow, ...]:
    """Per question id (in the order asked): how many got that far, how many left off there.

    "Got that far" counts everybody who is at or beyond a question, so a question shown only to
    some (skip logic) counts those who passed it too. It is a group of respondents like any
    cell: shown only if it holds none or at least k (while fewer than k have started, none is
    shown, not even the first). It is cumulative, so two shown values bracket a sum of left-off
    cells; a value is only shown where that sum does not isolate a single suppressed cell.
    """
    shown_left = suppress({q: left_off.get(q, 0) for q in questions}, k)
    hidden = [shown_left[q] is None for q in questions]
    reached = []
    running = completed
    for question in reversed(questions):
        running += left_off.get(question, 0)
        reached.append(running)
    reached.reverse()
    large = [n == 0 or n >= k for n in reached]
    # Boundaries: the first question (everyone who started) and the end (the completed) are
    # known totals, shown on the page whatever the table shows. Between two known boundaries
    # the left-off cells must hold no suppressed cell or at least two; the walk shows every
    # value it can, then undoes the last ones if the final stretch isolates one.
    show_reached = [index == 0 and large[0] for index in range(len(questions))]
    boundaries = [0]
    count = 0
    for index in range(1, len(questions)):
        count += hidden[index - 1]
        if count != 1 and large[index]:
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


# The one grouping rule both per-day charts share: the campaign dashboard's and a wave's
# (survey.daily).
def days_grouped(
    started: Counter, completed: Counter, k: int, until: dt.date
) -> tuple[DayRow, ...]:
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


def reminder_figures(days: list[tuple[dt.date, int, int]], k: int) -> ReminderFigures | None:
    """Reminders sent per day and how many brought an answer within 24 h (small cells hidden),
    from (day, sent, answered again) in the order of the days; None before the first reminder."""
    if not days:
        return None
    again = suppress({day: answered for day, _, answered in days}, k)
    sent = sum(n for _, n, _ in days)
    answered_again = sum(answered for _, _, answered in days)
    return ReminderFigures(
        sent=sent,
        answered_again=answered_again,
        answered_again_rate=rate(answered_again, sent),
        per_day=tuple(ReminderDay(day, n, again[day]) for day, n, _ in days),
    )

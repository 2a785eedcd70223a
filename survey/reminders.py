"""Reminders: when each person who left a survey half-way is reminded, and writing them out.

The schedule lives in the database (`Contact.next_reminder_at`, indexed): recomputed whenever a
person answers, after each reminder, and when a campaign's policy changes. A clock process asks
for the due contacts, locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that two clocks share
the work instead of repeating it; SQLite writes one transaction at a time), and hands each a
reminder, which the channel puts in its outbox in the same transaction. A restart neither loses
nor repeats one: whatever was committed is sent, and what was not is still due.

The rules (DESIGN.md, "Reminders"):
- only to someone who started (consented) and has not completed, stopped, deleted, or become
  unreachable: the others have no contact record, or one marked unreachable;
- the first `remind_after` without progress, then every `remind_every` while still idle; at
  most `max_reminders` to a person in all (answering again does not restart the count: people
  who keep stopping are not nagged);
- never in the quiet hours of the administration's time zone: moved after their end, spread over
  the `QUIET_SPREAD` that follows (each person's place in it drawn from their contact's random
  id, so it stays put when the schedule is recomputed): the night's reminders do not all go out
  at 08:00, on top of the replies to the people answering then;
- a last call `last_call_before` the campaign closes, to anyone still idle for `remind_after`,
  on top of the maximum;
- never after the campaign closes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Integer, func, select, update
from sqlalchemy.orm import Session

from survey.engine import messages
from survey.engine.flow import first_unanswered, progress
from survey.engine.questions import title_text
from survey.engine.replies import Action, Button, Reply, ReplyKind, reply_to_data
from survey.i18n import SOURCE_LANGUAGE, Text
from survey.questionnaire import Questionnaire
from survey.storage.models import Answer, Campaign, Contact, Outbox, ReminderSent

ANSWERED_AGAIN_WINDOW = dt.timedelta(hours=24)
REMINDER_KIND = "reminder"
# Reminders that fall in the quiet hours go out spread over this long after them (see above).
QUIET_SPREAD = dt.timedelta(hours=2)


class ReminderRule(StrEnum):
    """Which rule of the policy plans a reminder."""

    FIRST = "first"  # `remind_after` without progress
    REPEAT = "repeat"  # `remind_every` while still idle since the last one
    LAST_CALL = "last_call"  # `last_call_before` the campaign closes


@dataclass(frozen=True)
class NextReminder:
    at: dt.datetime
    rule: ReminderRule


def next_reminder(campaign: Campaign, contact: Contact) -> NextReminder | None:
    """When this person should next be reminded and under which rule, or None."""
    if contact.unreachable or contact.respondent_id is None:
        return None
    idle_from = contact.last_progress_at
    after = dt.timedelta(seconds=campaign.remind_after_s)
    every = dt.timedelta(seconds=campaign.remind_every_s)
    # (time, tie-break, rule): at the same time the last call wins, as its text is the one sent.
    candidates: list[tuple[dt.datetime, int, ReminderRule]] = []
    if contact.reminders_sent < campaign.max_reminders:
        reminded = contact.last_reminder_at
        if reminded is not None and reminded > idle_from:  # still idle since the last one
            candidates.append((reminded + every, 1, ReminderRule.REPEAT))
        else:
            candidates.append((idle_from + after, 1, ReminderRule.FIRST))
    last_call = last_call_at(campaign)
    if last_call is not None:
        already = contact.last_reminder_at is not None and contact.last_reminder_at >= last_call
        if not already:
            candidates.append((max(last_call, idle_from + after), 0, ReminderRule.LAST_CALL))
    if not candidates or campaign.closed_at is not None:
        return None
    soonest, _, rule = min(candidates)
    when = outside_quiet_hours(soonest, campaign, spread_key=contact.id or "")
    if campaign.closes_at is not None and when >= campaign.closes_at:
        return None
    return NextReminder(when, rule)


def next_reminder_at(campaign: Campaign, contact: Contact) -> dt.datetime | None:
    """When this person should next be reminded, or None."""
    planned = next_reminder(campaign, contact)
    return planned.at if planned is not None else None


def last_call_at(campaign: Campaign) -> dt.datetime | None:
    """When the last call before closing falls, if the campaign has one."""
    if campaign.closes_at is None or not campaign.last_call_before_s:
        return None
    return campaign.closes_at - dt.timedelta(seconds=campaign.last_call_before_s)


def outside_quiet_hours(when: dt.datetime, campaign: Campaign, spread_key: str = "") -> dt.datetime:
    """`when`, or a time after the end of the quiet hours it falls in (administration's local
    time): the end itself, or with a `spread_key` a place within the `QUIET_SPREAD` after it
    (at most half the hours that are not quiet)."""
    start, end = campaign.quiet_start_hour, campaign.quiet_end_hour
    if start == end:
        return when
    zone = ZoneInfo(campaign.administration.timezone)
    local = when.astimezone(zone)
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return when
    wake = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if wake <= local:
        wake += dt.timedelta(days=1)
    # Through the wall clock, then back to UTC: right across daylight-saving changes.
    wake = wake.replace(tzinfo=None).replace(tzinfo=zone).astimezone(dt.UTC)
    if not spread_key:
        return wake
    awake_hours = (start - end) % 24
    spread = min(QUIET_SPREAD, dt.timedelta(hours=awake_hours) / 2)
    place = int(hashlib.sha256(spread_key.encode()).hexdigest()[:8], 16) / 2**32
    return wake + spread * place


def schedule(campaign: Campaign, contact: Contact) -> None:
    contact.next_reminder_at = next_reminder_at(campaign, contact)


def record_progress(
    session: Session | Connection, contact: Contact, campaign: Campaign, now: dt.datetime
) -> None:
    """The person answered: count it for the last reminder if recent, and plan the next one."""
    if contact.last_reminder_id is not None:
        if contact.last_reminder_at and now - contact.last_reminder_at <= ANSWERED_AGAIN_WINDOW:
            session.execute(
                update(ReminderSent)
                .where(ReminderSent.id == contact.last_reminder_id)
                .values(answered_again=True)
            )
        contact.last_reminder_id = None
    contact.last_progress_at = now
    schedule(campaign, contact)


def reschedule_campaign(session: Session, campaign: Campaign) -> int:
    """After a policy change: every contact's next reminder, recomputed."""
    contacts = session.scalars(select(Contact).where(Contact.campaign_id == campaign.id)).all()
    for contact in contacts:
        schedule(campaign, contact)
    return len(contacts)


# -- the clock's side ------------------------------------------------------------------------


def due_contacts(session: Session, now: dt.datetime, limit: int) -> list[Contact]:
    """Contacts whose reminder is due, locked for this transaction (skipping those another
    clock holds)."""
    query = (
        select(Contact)
        .where(
            Contact.next_reminder_at <= now,
            Contact.unreachable.is_(False),
            Contact.chat_secret.is_not(None),
        )
        .order_by(Contact.next_reminder_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Contact)
    )
    return list(session.scalars(query))


def send_due(
    session: Session, questionnaires: dict[str, Questionnaire], now: dt.datetime, limit: int = 500
) -> int:
    """Put the due reminders in the outbox, in this transaction; how many.

    The reminder is stored as a neutral reply, with the contact's (encrypted) chat address: the
    channel's sender renders and sends it at its pace.
    """
    sent = 0
    for contact in due_contacts(session, now, limit):
        campaign = contact.campaign
        when = next_reminder_at(campaign, contact)
        if when is None or when > now:  # the rules changed since it was planned
            contact.next_reminder_at = when
            continue
        questionnaire = questionnaires[campaign.questionnaire_id]
        reply = reminder(session, contact, campaign, questionnaire, now)
        session.add(
            Outbox(
                contact_id=contact.id,
                chat_secret=contact.chat_secret,
                kind=REMINDER_KIND,
                payload={"reply": reply_to_data(reply)},
                not_before=now,
                attempts=0,
            )
        )
        log_entry = ReminderSent(campaign_id=campaign.id, sent_on=now.date())
        session.add(log_entry)
        session.flush()
        contact.reminders_sent += 1
        contact.last_reminder_at = now
        contact.last_reminder_id = log_entry.id
        schedule(campaign, contact)
        sent += 1
    return sent


def reminder(
    session: Session,
    contact: Contact,
    campaign: Campaign,
    questionnaire: Questionnaire,
    now: dt.datetime,
) -> Reply:
    answers = dict(
        session.execute(
            select(Answer.question_id, Answer.value).where(
                Answer.respondent_id == contact.respondent_id
            )
        ).all()
    )
    # The figures of the question card (flow.progress): the questions before the current one,
    # of the most this response can have.
    position = contact.respondent.position if contact.respondent is not None else None
    position = position or first_unanswered(questionnaire, answers)
    number, total = progress(questionnaire, answers, position) if position else (1, 1)
    counts = {"answered": number - 1, "total": total}
    last_call = last_call_at(campaign)
    if last_call is not None and now >= last_call:
        hours = max(1, round((campaign.closes_at - now).total_seconds() / 3600))
        text = Text(messages.LAST_CALL, {**counts, "hours": hours})
    else:
        text = Text(messages.REMINDER, counts)
    title = title_text(questionnaire)
    return Reply(
        ReplyKind.INFO,
        (title, text),
        (Button(Text(messages.CONTINUE), Action.RESUME),),
        language=contact.language or SOURCE_LANGUAGE,
    )


# -- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderDay:
    day: dt.date
    sent: int
    answered_again: int


def reminder_figures(session: Session, campaign_id: int) -> list[ReminderDay]:
    """Reminders sent per day, and how many of them brought an answer within 24 hours."""
    rows = session.execute(
        select(
            ReminderSent.sent_on,
            func.count(),
            func.sum(func.cast(ReminderSent.answered_again, type_=Integer)),
        )
        .where(ReminderSent.campaign_id == campaign_id)
        .group_by(ReminderSent.sent_on)
        .order_by(ReminderSent.sent_on)
    )
    return [ReminderDay(day, sent, int(again or 0)) for day, sent, again in rows]


# -- the plan for the coming days ------------------------------------------------------------


@dataclass(frozen=True)
class _Idle:
    """What `next_reminder` reads of a contact, for playing its coming reminders forward."""

    id: str
    respondent_id: str | None
    last_progress_at: dt.datetime
    reminders_sent: int
    last_reminder_at: dt.datetime | None
    unreachable: bool = False


@dataclass(frozen=True)
class PlannedReminders:
    """How many reminders of one rule fall in one hour (local to the administration); `due`:
    already due, sent at the clock's next run."""

    hour: dt.datetime  # the start of the hour, in the administration's time zone
    rule: ReminderRule
    count: int
    due: bool = False


def projected(
    session: Session, campaign: Campaign, now: dt.datetime, horizon: dt.timedelta
) -> list[NextReminder]:
    """The reminders the policy will send within `horizon` of `now` if nobody answers
    meanwhile, soonest first: each contact with a reminder planned, played forward by
    `next_reminder` as `send_due` does (the due ones at `now`, each followed by the next)."""
    end = now + horizon
    contacts = session.execute(
        select(
            Contact.id,
            Contact.respondent_id,
            Contact.last_progress_at,
            Contact.reminders_sent,
            Contact.last_reminder_at,
        ).where(
            Contact.campaign_id == campaign.id,
            Contact.next_reminder_at.is_not(None),
            Contact.next_reminder_at < end,
            Contact.unreachable.is_(False),
            Contact.chat_secret.is_not(None),
        )
    )
    found: list[NextReminder] = []
    for row in contacts:
        state = _Idle(*row)
        # At most the maximum plus the last call: a bound, should the rules ever loop.
        for _ in range(campaign.max_reminders + 1):
            planned = next_reminder(campaign, state)
            if planned is None or planned.at >= end:
                break
            sent_at = max(planned.at, now)
            found.append(NextReminder(sent_at, planned.rule))
            state = replace(
                state, reminders_sent=state.reminders_sent + 1, last_reminder_at=sent_at
            )
    return sorted(found, key=lambda r: (r.at, r.rule))


def reminder_plan(
    session: Session, campaign: Campaign, now: dt.datetime, days: int = 7
) -> list[PlannedReminders]:
    """The reminders planned for the next `days` days, counted per local hour and rule."""
    zone = ZoneInfo(campaign.administration.timezone)
    counts: dict[tuple[bool, dt.datetime, ReminderRule], int] = {}
    for planned in projected(session, campaign, now, dt.timedelta(days=days)):
        local = planned.at.astimezone(zone)
        key = (planned.at <= now, local.replace(minute=0, second=0, microsecond=0), planned.rule)
        counts[key] = counts.get(key, 0) + 1
    return [
        PlannedReminders(hour, rule, count, due)
        for (due, hour, rule), count in sorted(
            counts.items(), key=lambda item: (not item[0][0], item[0][1], item[0][2])
        )
    ]

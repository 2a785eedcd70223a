"""The common event on a lean path: an answer to the current question that leads to the next.

Nearly every event of a conversation is this one (a button pressed, a number typed, a skip), so
it runs on Core statements compiled once and run on the driver's cursor
(`survey.storage.prepared`) instead of ORM objects: the contact locked and read with its
campaign in one statement, the respondent with its answers in a second, then one INSERT and two
UPDATEs. Anything else (another stage, a changed earlier answer, an answer that hides others, the
last answer, a closed campaign, a repeated or stale event) is left to the general path of
`survey.engine.engine`, which runs in the same transaction and takes the same lock: this module
decides before it writes anything, and returns None to hand over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, insert, null, select, update

from survey import reminders
from survey.engine import events as ev
from survey.engine.answers import parse_typed
from survey.engine.flow import SKIPPED, Stage, shown_questions
from survey.engine.questions import ask, recorded
from survey.engine.replies import Reply
from survey.questionnaire import QuestionType
from survey.storage.models import (
    Administration,
    Answer,
    Campaign,
    CampaignStatus,
    Contact,
    Respondent,
)
from survey.storage.prepared import Prepared

if TYPE_CHECKING:
    from survey.engine.engine import ConversationEngine

_contacts, _campaigns = Contact.__table__, Campaign.__table__
_administrations, _respondents, _answers = (
    Administration.__table__,
    Respondent.__table__,
    Answer.__table__,
)

_CONTACT_COLUMNS = ("id", "stage", "language", "chat_secret", "respondent_id", "last_event_id",
                    "last_progress_at", "reminders_sent", "unreachable", "last_reminder_id",
                    "last_reminder_at")  # fmt: skip
_CAMPAIGN_COLUMNS = ("questionnaire_id", "opens_at", "closes_at", "closed_at", "remind_after_s",
                     "remind_every_s", "max_reminders", "quiet_start_hour", "quiet_end_hour",
                     "last_call_before_s")  # fmt: skip

# The same lock as the general path's (the conversation's newest contact, FOR UPDATE), with the
# campaign's columns read alongside: the engine never changes a campaign, so a value read while
# waiting for the lock is as good as one read after it.
LOCK = Prepared(
    select(
        *(_contacts.c[name] for name in _CONTACT_COLUMNS),
        *(_campaigns.c[name].label(f"campaign_{name}") for name in _CAMPAIGN_COLUMNS),
        _administrations.c.timezone,
    )
    .select_from(
        _contacts.join(_campaigns, _campaigns.c.id == _contacts.c.campaign_id).join(
            _administrations, _administrations.c.id == _campaigns.c.administration_id
        )
    )
    .where(
        _contacts.c.channel == bindparam("channel"),
        _contacts.c.user_hash == bindparam("user_hash"),
    )
    .order_by(_contacts.c.last_progress_at.desc())
    .limit(1)
    .with_for_update(of=_contacts)
)
# Read after the lock, so current on PostgreSQL too (a new statement, a new snapshot).
RESPONDENT = Prepared(
    select(
        _respondents.c.position,
        _answers.c.question_id,
        _answers.c.value,
    )
    .select_from(_respondents.outerjoin(_answers, _answers.c.respondent_id == _respondents.c.id))
    .where(_respondents.c.id == bindparam("respondent"))
)
_add_answer = insert(_answers).values(
    respondent_id=bindparam("respondent"),
    question_id=bindparam("question"),
    value=bindparam("answer"),
)
_advance = (
    update(_respondents)
    .where(_respondents.c.id == bindparam("respondent"))
    .values(position=bindparam("next_question"), draft=null(), updated_on=bindparam("today"))
)
_progress = (
    update(_contacts)
    .where(_contacts.c.id == bindparam("contact"))
    .values(
        last_event_id=bindparam("event_id"),
        last_progress_at=bindparam("progress_at"),
        next_reminder_at=bindparam("reminder_at"),
        last_reminder_id=bindparam("reminder_id"),
    )
)
# The three writes in one round trip where the database takes writing CTEs (PostgreSQL; each
# runs once, on its own table). SQLite, with no round trips to save, runs them one by one.
RECORD = Prepared(_progress.add_cte(_add_answer.cte("added")).add_cte(_advance.cte("advanced")))
ADD_ANSWER, ADVANCE, PROGRESS = Prepared(_add_answer), Prepared(_advance), Prepared(_progress)
WRITING_CTES = {"postgresql"}


@dataclass
class _Administration:
    timezone: str


@dataclass
class _Campaign:
    """What reminders.next_reminder_at reads of a campaign."""

    questionnaire_id: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    closed_at: dt.datetime | None
    remind_after_s: int
    remind_every_s: int
    max_reminders: int
    quiet_start_hour: int
    quiet_end_hour: int
    last_call_before_s: int | None
    administration: _Administration

    status = Campaign.status


@dataclass
class _Contact:
    """The contact's columns that this path reads, and the progress it writes back."""

    id: str
    stage: str
    language: str | None
    chat_secret: str | None
    respondent_id: str | None
    last_event_id: int | None
    last_progress_at: dt.datetime
    reminders_sent: int
    unreachable: bool
    last_reminder_id: int | None
    last_reminder_at: dt.datetime | None
    next_reminder_at: dt.datetime | None = None


def answer(
    engine: ConversationEngine,
    connection: Connection,
    event: ev.Event,
    user_hash: str,
    now: dt.datetime,
) -> list[Reply] | None:
    """The replies, with the answer recorded and the position advanced; None to hand over."""
    if not isinstance(event, ev.Answer | ev.Skip | ev.Typed):
        return None
    found = LOCK.rows(connection, {"channel": event.sender.channel, "user_hash": user_hash})
    row = found[0] if found else None
    if row is None or row.stage != Stage.ANSWERING or row.respondent_id is None or not row.language:
        return None
    sender = event.sender
    if sender.chat_id is not None and row.chat_secret is None:
        return None  # the general path stores the chat address first
    if sender.event_id is not None and (
        row.last_event_id is not None and sender.event_id <= row.last_event_id
    ):
        return []  # a redelivered update, already handled
    mapping = row._asdict()
    campaign = _Campaign(
        **{name: mapping[f"campaign_{name}"] for name in _CAMPAIGN_COLUMNS},
        administration=_Administration(row.timezone),
    )
    if campaign.status(now) is CampaignStatus.CLOSED:
        return None
    questionnaire = engine.questionnaires[campaign.questionnaire_id]
    rows = RESPONDENT.rows(connection, {"respondent": row.respondent_id})
    if not rows or rows[0].position is None:
        return None
    position = rows[0].position
    answers = {qid: value for _, qid, value in rows if qid is not None}
    if position in answers or not questionnaire.has_question(position):
        return None  # back at an answered question: the general path changes it
    question = questionnaire.question(position)
    value = _value(questionnaire, question, event, row.language)
    if value is None:
        return None
    answers[position] = value
    shown = shown_questions(questionnaire, answers)
    shown_ids = {q.id for q in shown}
    if any(qid not in shown_ids for qid in answers):
        return None  # the answer hides others, to be removed
    following = next((q for q in shown if q.id not in answers), None)
    if following is None:
        return None  # the last answer: completion

    contact = _Contact(*(row[i] for i in range(len(_CONTACT_COLUMNS))))
    reminders.record_progress(connection, contact, campaign, now)
    params = {
        "respondent": row.respondent_id,
        "question": position,
        "answer": value,
        "next_question": following.id,
        "today": now.date(),
        "contact": contact.id,
        "event_id": sender.event_id if sender.event_id is not None else row.last_event_id,
        "progress_at": contact.last_progress_at,
        "reminder_at": contact.next_reminder_at,
        "reminder_id": contact.last_reminder_id,
    }
    if connection.dialect.name in WRITING_CTES:
        RECORD.run(connection, params)
    else:
        for statement in (ADD_ANSWER, ADVANCE, PROGRESS):
            statement.run(connection, params)
    language = row.language
    return [
        recorded(questionnaire, question, value, language),
        ask(questionnaire, following, answers, language, shown=shown),
    ]


def _value(questionnaire, question, event: ev.Event, language: str) -> str | None:
    """The value this event records for the current question, or None for the general path."""
    if isinstance(event, ev.Answer):
        if event.question_id != question.id or question.type is QuestionType.MULTIPLE_CHOICE:
            return None
        return event.value if event.value in question.codes else None
    if isinstance(event, ev.Skip):
        return SKIPPED if event.question_id == question.id and not question.required else None
    parsed = parse_typed(questionnaire, question, event.text, language)
    return parsed.value if parsed.problem is None and parsed.note is None else None

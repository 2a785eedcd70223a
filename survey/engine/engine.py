"""The conversation engine: one event in, one transaction, replies out.

Each event is handled in a single transaction that locks the respondent's contact row first
(SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite), so two deliveries of the same
event, processed at once on two workers, run one after the other and the second finds nothing
left to do. The answer and the advance of the position are committed together, with whatever
the channel queues for delivery (`deliver`), before any reply leaves.

This module runs that transaction and hands the event to its stage; the pieces, one job each:
`conversation` (the contact, locked, and what it binds), `starting` (a survey link or code, and
events without a conversation), `consenting` (language and consent), `answering` (buttons,
toggles, typed answers, skip, back), `recording` (an answer stored, the position moved on),
`leaving` (stop, delete, completion), `prompts` (the reply each stage waits with).

Decisions (DESIGN.md leaves them to us):
- Pressing the button of an earlier question changes that answer when the questionnaire allows
  going back (`allow_back`, the default); the position stays where it was unless the change
  reveals a question not yet asked, which then comes next. Without `allow_back` the respondent is
  told the question is closed.
- A press that would change nothing says so in a short notice with the current question below
  (an old card's button: its answer is already given), except the press that repeats the answer
  just given to the question before the current one (a double tap, a redelivered update), which
  changes nothing and says nothing. A question's button pressed after the conversation ended
  gets a short notice too.
- /stop keeps the answers given so far as an incomplete, anonymous response and ends the
  conversation (no reminders, no continuing); /delete erases them and lets the person start over.
- Completion, withdrawal, deletion and a closed campaign delete the contact record. A finished
  response keeps its keyed participation mark (which stops a second response) until
  `survey.sealing` seals it with at least k others; from then on nothing leads from a Telegram
  account to the answers, and /delete finds nothing to delete.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from survey.anonymity import ChatCipher, user_hashes
from survey.engine import answering, consenting, leaving, messages, starting
from survey.engine import events as ev
from survey.engine.conversation import Conversation
from survey.engine.prompts import info, language_menu, prompt
from survey.engine.replies import Reply
from survey.i18n import Text, available_languages
from survey.questionnaire import Questionnaire
from survey.storage.db import Database
from survey.storage.models import CampaignStatus, utcnow

log = logging.getLogger(__name__)

ATTEMPTS = 4

Deliver = Callable[[Connection, list[Reply]], None]


class ConversationEngine:
    """Handles events from any channel against the database; see the module docstring."""

    def __init__(
        self,
        db: Database,
        questionnaires: dict[str, Questionnaire],
        secret_key: str,
        *,
        min_cell: int = 10,
        clock: Callable[[], dt.datetime] = utcnow,
        languages: Callable[[], Sequence[str]] = available_languages,
        old_secret_keys: Sequence[str] = (),
    ):
        """`secret_key` hashes and encrypts; `old_secret_keys` (CIPS_OLD_SECRET_KEYS) are kept
        for reading only: a person is also looked up under each of them, after the new one."""
        self.db = db
        self.questionnaires = questionnaires
        self.secret_key = secret_key
        self.secret_keys = (secret_key, *old_secret_keys)
        self.cipher = ChatCipher(secret_key, old_secret_keys)
        self.min_cell = min_cell
        self.clock = clock
        self.languages = languages

    def handle(
        self,
        event: ev.Event,
        deliver: Deliver | None = None,
        claim: Callable[[Connection], bool] | None = None,
    ) -> list[Reply]:
        """Process one event in one transaction; `deliver` queues the replies inside it.

        `claim`, called first in the transaction, returns False for an event already handled
        (a channel's record of its update ids): then nothing happens.
        """
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.db.engine.begin() as connection:
                    if claim is not None and not claim(connection):
                        return []
                    now = self.clock()
                    hashed = user_hashes(
                        self.secret_keys, event.sender.channel, event.sender.user_id
                    )
                    replies = self._turn(connection, event, hashed, now)
                    if deliver is not None and replies:
                        deliver(connection, replies)
                    return replies
            except (IntegrityError, OperationalError) as exc:
                # A concurrent twin of this event won a race (a unique key, a deadlock, a
                # serialization failure): run it again, and it will see what the twin did.
                if attempt == ATTEMPTS or not _retryable(exc):
                    raise
                log.info("event %s raced another, retrying", type(event).__name__)
        raise AssertionError("unreachable")

    def _turn(
        self, connection: Connection, event: ev.Event, hashed: list[str], now: dt.datetime
    ) -> list[Reply]:
        """The event on ORM objects, in a session that joins the event's transaction."""
        with self.db.sessions(bind=connection) as session:
            conversation = Conversation(self, session, event.sender, hashed, now)
            replies = _run(conversation, event)
            session.commit()  # a flush: the connection's transaction commits the whole event
        return replies


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in ("40001", "40P01")


def _run(conv: Conversation, event: ev.Event) -> list[Reply]:
    """One event against the state it finds: the contact locked, then the event's stage."""
    if isinstance(event, ev.Start):
        return starting.start(conv, event.code)
    contact = conv.locked_contact()
    if contact is None:
        return starting.without_conversation(conv, event)
    conv.bind(contact)
    event_id = conv.sender.event_id
    if event_id is not None:
        if contact.last_event_id is not None and event_id <= contact.last_event_id:
            return []  # a redelivered update, already handled
        contact.last_event_id = event_id
    if conv.campaign.status(conv.now) is CampaignStatus.CLOSED:
        conv.end()
        return [info(conv, Text(messages.CAMPAIGN_CLOSED))]
    return _HANDLERS[type(event)](conv, event)


# What each event does in a conversation under way (a start is handled before).
_HANDLERS: dict[type[ev.Event], Callable[[Conversation, Any], list[Reply]]] = {
    ev.ChooseLanguage: consenting.choose_language,
    ev.LanguageMenu: lambda conv, event: [language_menu(conv)],
    ev.Consent: consenting.consent,
    ev.Answer: answering.answer,
    ev.Toggle: answering.toggle,
    ev.Done: answering.done,
    ev.Typed: answering.typed,
    ev.Skip: answering.skip,
    ev.Back: answering.back,
    ev.Help: lambda conv, event: [info(conv, Text(messages.HELP)), prompt(conv)],
    ev.Stop: leaving.stop,
    ev.Delete: leaving.delete,
    ev.Confirm: leaving.confirm,
    ev.Resume: lambda conv, event: [prompt(conv)],
    ev.Unsupported: lambda conv, event: [prompt(conv, Text(messages.UNSUPPORTED))],
}

"""The conversation engine: one event in, one transaction, replies out.

Each event is handled in a single transaction that locks the respondent's contact row first
(SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite), so two deliveries of the same
event, processed at once on two workers, run one after the other and the second finds nothing
left to do. The answer and the advance of the position are committed together, with whatever
the channel queues for delivery (`deliver`), before any reply leaves.

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
import re
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from survey import channels, daily, reminders  # modules: survey.reminders imports the engine
from survey.anonymity import ChatCipher, participation_mark, participation_marks, user_hashes
from survey.engine import events as ev
from survey.engine import messages
from survey.engine.answers import join_choices, parse_typed
from survey.engine.flow import (
    SKIPPED,
    Stage,
    first_unanswered,
    hidden_answers,
    previous_question,
    progress,
)
from survey.engine.flow import shown_questions as shown
from survey.engine.questions import ask, recorded, title_text
from survey.engine.replies import Action, Button, Reply, ReplyKind
from survey.i18n import (
    SOURCE_LANGUAGE,
    Text,
    available_languages,
    language_name,
    match_language,
    verbatim,
)
from survey.questionnaire import MULTIPLE_CHOICE_SEPARATOR, Questionnaire, QuestionType
from survey.storage import Database
from survey.storage.models import (
    Answer,
    Campaign,
    CampaignStatus,
    Contact,
    Participation,
    Respondent,
    RespondentStatus,
    utcnow,
)

log = logging.getLogger(__name__)

ATTEMPTS = 4
SOURCE_TAG = re.compile(r"^[a-z0-9-]{1,32}$")
START_CODE = re.compile(r"^[A-Za-z0-9_-]{3,64}$")
SOURCE_SEPARATOR = "__"


Deliver = Callable[[Connection, list[Reply]], None]

# Built once: the hot path of every event (a conversation's contact, locked). The respondent is
# deliberately not joined in: on PostgreSQL a statement that waited for the lock returns joined
# rows as they were before the other worker's commit; read after the lock, they are current.
_CONTACT_BASE = (
    select(Contact)
    .where(
        Contact.channel == bindparam("channel"),
        # The hash under every kept key (a key rotation leaves conversations under the old one).
        Contact.user_hash.in_(bindparam("user_hashes", expanding=True)),
    )
    .order_by(Contact.last_progress_at.desc())
    .limit(1)
)
CONTACT = _CONTACT_BASE.with_for_update(of=Contact)
CONTACT_IN_CAMPAIGN = _CONTACT_BASE.where(
    Contact.campaign_id == bindparam("campaign_id")
).with_for_update(of=Contact)


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
            replies = _Turn(self, session, event, hashed, now).run()
            session.commit()  # a flush: the connection's transaction commits the whole event
        return replies


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in ("40001", "40P01")


class _Turn:
    """One event against the state it finds; every method runs inside the transaction."""

    def __init__(
        self,
        engine: ConversationEngine,
        session: Session,
        event: ev.Event,
        user_hashes: list[str],
        now: dt.datetime,
    ):
        self.engine = engine
        self.session = session
        self.event = event
        self.sender = event.sender
        self.now = now
        self.user_hash = user_hashes[0]  # under the current key: what new contacts get
        self.user_hashes = user_hashes
        self.contact: Contact | None = None
        self.campaign: Campaign | None = None
        self.questionnaire: Questionnaire | None = None
        self.respondent: Respondent | None = None
        self.answers: dict[str, str] = {}
        self.final_language: str | None = None  # kept for the last reply once the contact is gone

    # -- entry ---------------------------------------------------------------------------------

    def run(self) -> list[Reply]:
        event = self.event
        if isinstance(event, ev.Start):
            return self.start(event.code)
        self.contact = self._locked_contact()
        if self.contact is None:
            return self.without_conversation()
        self._bind()
        event_id = self.sender.event_id
        if event_id is not None:
            if self.contact.last_event_id is not None and event_id <= self.contact.last_event_id:
                return []  # a redelivered update, already handled
            self.contact.last_event_id = event_id
        if self.campaign.status(self.now) is CampaignStatus.CLOSED:
            self._end_contact()
            return [self.info(Text(messages.CAMPAIGN_CLOSED))]
        handler = {
            ev.ChooseLanguage: self.choose_language,
            ev.LanguageMenu: lambda e: [self.language_menu()],
            ev.Consent: self.consent,
            ev.Answer: self.answer,
            ev.Toggle: self.toggle,
            ev.Done: self.done,
            ev.Typed: self.typed,
            ev.Skip: self.skip,
            ev.Back: self.back,
            ev.Help: lambda e: [self.info(Text(messages.HELP)), self.prompt()],
            ev.Stop: self.stop,
            ev.Delete: self.delete,
            ev.Confirm: self.confirm,
            ev.Resume: lambda e: [self.prompt()],
            ev.Unsupported: lambda e: [self.prompt(Text(messages.UNSUPPORTED))],
        }[type(event)]
        return handler(event)

    # -- loading -------------------------------------------------------------------------------

    def _locked_contact(self, campaign: Campaign | None = None) -> Contact | None:
        """The conversation under way, locked against a concurrent twin of this event.

        Found under an old key (CIPS_OLD_SECRET_KEYS), its hash is rewritten under the current
        one: the contact row changes on every turn anyway and is deleted when the response ends.
        """
        params = {"channel": self.sender.channel, "user_hashes": self.user_hashes}
        if campaign is None:
            contact = self.session.scalar(CONTACT, params)
        else:
            contact = self.session.scalar(
                CONTACT_IN_CAMPAIGN, {**params, "campaign_id": campaign.id}
            )
        if contact is not None and contact.user_hash != self.user_hash:
            contact.user_hash = self.user_hash
        return contact

    def _bind(self) -> None:
        contact = self.contact
        self.campaign = contact.campaign
        self.questionnaire = self.engine.questionnaires[self.campaign.questionnaire_id]
        self.respondent = contact.respondent
        if self.respondent is not None:
            rows = self.session.execute(
                select(Answer.question_id, Answer.value).where(
                    Answer.respondent_id == self.respondent.id
                )
            )
            self.answers = dict(rows.all())
        if self.sender.chat_id is not None and contact.chat_secret is None:
            contact.chat_secret = self.engine.cipher.encrypt(self.sender.chat_id)

    @property
    def language(self) -> str:
        if self.contact is not None and self.contact.language:
            return self.contact.language
        if self.final_language:
            return self.final_language
        return match_language(self.sender.language_hint, list(self.engine.languages())) or (
            SOURCE_LANGUAGE
        )

    def offered_languages(self) -> list[str]:
        available = list(self.engine.languages())
        wanted = self.campaign.administration.language_list if self.campaign else []
        offered = [code for code in wanted if code in available]
        return offered or available

    # -- replies -------------------------------------------------------------------------------

    def info(self, *parts: Text) -> Reply:
        return Reply(ReplyKind.INFO, tuple(parts), language=self.language)

    def language_menu(self, note: Text | None = None) -> Reply:
        buttons = tuple(
            Button(verbatim(language_name(code)), Action.LANGUAGE, code, row=f"lang{i // 2}")
            for i, code in enumerate(self.offered_languages())
        )
        parts = ((note,) if note else ()) + (Text(messages.CHOOSE_LANGUAGE),)
        return Reply(ReplyKind.LANGUAGE_MENU, parts, buttons, language=self.language)

    def consent_request(self, note: Text | None = None) -> Reply:
        q = self.questionnaire
        # The same total as the first question's progress shows (the longest path).
        first = first_unanswered(q, {})
        count = progress(q, {}, first)[1] if first is not None else 0
        intro = Text(messages.INTRO, {"title": title_text(q), "count": count})
        parts = ((note,) if note else ()) + (
            intro,
            Text(messages.ANONYMITY, {"k": self.engine.min_cell}),
            Text(messages.CONSENT_QUESTION),
        )
        buttons = (
            Button(Text(messages.I_AGREE), Action.CONSENT, "yes"),
            Button(Text(messages.NO_THANKS), Action.CONSENT, "no"),
            Button(Text(messages.CHANGE_LANGUAGE), Action.LANGUAGE, "", row="nav"),
        )
        return Reply(ReplyKind.CONSENT, parts, buttons, language=self.language)

    def confirmation(self, action: str) -> Reply:
        text, yes = {
            "stop": (messages.CONFIRM_STOP, messages.YES_STOP),
            "delete": (messages.CONFIRM_DELETE, messages.YES_DELETE),
        }[action]
        buttons = (
            Button(Text(yes), Action.CONFIRM, f"{action}:yes"),
            Button(Text(messages.NO_CONTINUE), Action.CONFIRM, f"{action}:no"),
        )
        return Reply(ReplyKind.CONFIRM, (Text(text),), buttons, language=self.language)

    def ask_current(self, note: Text | None = None) -> Reply:
        question = self.questionnaire.question(self.respondent.position)
        answers = dict(self.answers)
        if question.type is QuestionType.MULTIPLE_CHOICE and self.respondent.draft is not None:
            answers[question.id] = self.respondent.draft
        return ask(self.questionnaire, question, answers, self.language, note)

    def prompt(self, note: Text | None = None) -> Reply:
        """What the conversation is waiting for, asked again."""
        stage = self.contact.stage
        if stage == Stage.LANGUAGE:
            return self.language_menu(note)
        if stage == Stage.CONSENT:
            return self.consent_request(note)
        if stage == Stage.CONFIRM_STOP:
            return self.confirmation("stop")
        if stage == Stage.CONFIRM_DELETE:
            return self.confirmation("delete")
        return self.ask_current(note)

    # -- starting ------------------------------------------------------------------------------

    def start(self, payload: str | None) -> list[Reply]:
        if not payload:
            existing = self._locked_contact()
            if existing is not None:
                self.contact = existing
                self._bind()
                return [self.prompt()]
            return [self.info(Text(messages.ASK_CODE))]
        code, _, tag = payload.strip().partition(SOURCE_SEPARATOR)
        # Exact code first; codes typed by hand are often in the wrong case.
        campaign = self.session.scalar(
            select(Campaign)
            .where(Campaign.code.in_({code, code.lower()}))
            .order_by((Campaign.code == code).desc())
            .limit(1)
        )
        if campaign is None:
            return [self.info(Text(messages.UNKNOWN_CODE, {"code": verbatim(code[:64])}))]
        self.campaign = campaign
        status = campaign.status(self.now)
        if status is CampaignStatus.SCHEDULED:
            local = campaign.opens_at.astimezone(ZoneInfo(campaign.administration.timezone))
            date = (
                f"{format_date(local, 'long', locale=self.language)} "
                f"{format_time(local, 'short', locale=self.language)}"
            )
            return [self.info(Text(messages.NOT_OPEN_YET, {"date": verbatim(date)}))]
        if status is CampaignStatus.CLOSED:
            return [self.info(Text(messages.CAMPAIGN_CLOSED))]
        existing = self._locked_contact(campaign)
        if existing is not None:
            self.contact = existing
            self._bind()
            return [self.prompt()]
        if self._took_part(campaign):
            return [self.info(Text(messages.ALREADY_TOOK_PART))]
        return self._new_contact(campaign, tag if SOURCE_TAG.match(tag) else None)

    def _took_part(self, campaign: Campaign) -> bool:
        """Whether the person has a response in the campaign, sealed or waiting, under any kept
        key. Marks are never rewritten under a new key: an update of a sealed mark would date
        the person's return among the batch's marks (README, "Rotating CIPS_SECRET_KEY")."""
        marks = participation_marks(
            self.engine.secret_keys, campaign.code, self.sender.channel, self.sender.user_id
        )
        sealed = select(Participation.mark).where(
            Participation.campaign_id == campaign.id, Participation.mark.in_(marks)
        )
        if self.session.scalar(sealed.limit(1)) is not None:
            return True
        waiting = select(Respondent.id).where(
            Respondent.campaign_id == campaign.id, Respondent.mark.in_(marks)
        )
        return self.session.scalar(waiting.limit(1)) is not None

    def _new_contact(self, campaign: Campaign, source_tag: str | None) -> list[Reply]:
        offered = self.offered_languages()
        language = match_language(self.sender.language_hint, offered)
        if len(offered) == 1:
            language = offered[0]
        self.contact = Contact(
            campaign=campaign,
            channel=self.sender.channel,
            user_hash=self.user_hash,
            chat_secret=(
                self.engine.cipher.encrypt(self.sender.chat_id) if self.sender.chat_id else None
            ),
            stage=Stage.CONSENT if language else Stage.LANGUAGE,
            language=language,
            source_tag=source_tag,
            last_progress_at=self.now,
        )
        self.session.add(self.contact)
        self.session.flush()  # a concurrent twin start fails here on the unique key, and retries
        self.questionnaire = self.engine.questionnaires[campaign.questionnaire_id]
        return [self.prompt()]

    def without_conversation(self) -> list[Reply]:
        event = self.event
        if isinstance(event, ev.Typed):
            text = event.text.strip()
            if START_CODE.match(text):
                return self.start(text)
            return [self.info(Text(messages.ASK_CODE))]
        if isinstance(event, ev.Answer | ev.Skip | ev.Toggle | ev.Done | ev.Confirm | ev.Consent):
            return [self.info(Text(messages.CONVERSATION_ENDED))]  # an old card's button
        if isinstance(event, ev.Delete):
            return [self.info(Text(messages.NOTHING_TO_DELETE))]
        if isinstance(event, ev.Help):
            return [self.info(Text(messages.HELP), Text(messages.ASK_CODE))]
        if isinstance(event, ev.Unsupported):
            return [self.info(Text(messages.UNSUPPORTED), Text(messages.ASK_CODE))]
        return [self.info(Text(messages.NOTHING_IN_PROGRESS))]

    # -- language and consent ------------------------------------------------------------------

    def choose_language(self, event: ev.ChooseLanguage) -> list[Reply]:
        if event.language not in self.offered_languages():
            return [self.language_menu()]
        self.contact.language = event.language
        if self.respondent is not None:
            self.respondent.language = event.language
        if self.contact.stage == Stage.LANGUAGE:
            self.contact.stage = Stage.CONSENT
        return [self.prompt()]

    def consent(self, event: ev.Consent) -> list[Reply]:
        if self.contact.stage not in (Stage.CONSENT, Stage.LANGUAGE):
            return []  # already decided: a stale or repeated press
        if not event.accept:
            self._end_contact()
            return [self.info(Text(messages.DECLINED))]
        if self._took_part(self.campaign):
            self._end_contact()
            return [self.info(Text(messages.ALREADY_TOOK_PART))]
        mark = participation_mark(
            self.engine.secret_key, self.campaign.code, self.sender.channel, self.sender.user_id
        )
        self.respondent = Respondent(
            campaign_id=self.campaign.id,
            language=self.language,
            source_tag=self.contact.source_tag,
            channel=channels.recorded(self.sender.channel, self.sender.entry),
            position=first_unanswered(self.questionnaire, {}),
            mark=mark,
            started_on=self.now.date(),
            updated_on=self.now.date(),
        )
        self.session.add(self.respondent)
        self.session.flush()
        daily.count(self.session, self.campaign.id, self.now.date(), started=1)
        self.contact.respondent_id = self.respondent.id
        self.contact.stage = Stage.ANSWERING
        reminders.record_progress(self.session, self.contact, self.campaign, self.now)
        return [self.ask_current()]

    # -- answering -----------------------------------------------------------------------------

    def _answering(self) -> bool:
        """Answers are taken while answering; a pending confirmation is dropped by answering."""
        if self.contact.stage in (Stage.CONFIRM_STOP, Stage.CONFIRM_DELETE):
            self.contact.stage = Stage.ANSWERING
        return self.contact.stage == Stage.ANSWERING

    def answer(self, event: ev.Answer) -> list[Reply]:
        if not self._answering():
            return [self.prompt()]
        q = self.questionnaire
        if not q.has_question(event.question_id):
            return [self.ask_current(Text(messages.BUTTON_EXPIRED))]
        question = q.question(event.question_id)
        value = event.value
        if question.type is QuestionType.MULTIPLE_CHOICE:
            # The whole choice at once (a web form's checkboxes), codes separated by ";".
            chosen = set(value.split(MULTIPLE_CHOICE_SEPARATOR)) - {""}
            if not chosen <= set(question.codes):
                return [self.ask_current(Text(messages.BUTTON_EXPIRED))]
            if not chosen:
                return [self.ask_current(Text(messages.CHOOSE_AT_LEAST_ONE))]
            if question.max_choices and len(chosen) > question.max_choices:
                count = {"count": question.max_choices}
                return [self.ask_current(Text(messages.CHOOSE_AT_MOST, count))]
            value = join_choices(question, chosen)
        elif value not in question.codes:
            return [self.ask_current(Text(messages.BUTTON_EXPIRED))]
        if question.id == self.respondent.position:
            return self._record_and_advance(value)
        if question.id in self.answers:
            return self._change_earlier(question.id, value)
        return [self.ask_current(Text(messages.BUTTON_EXPIRED))]

    def _change_earlier(self, question_id: str, value: str) -> list[Reply]:
        if self.answers[question_id] == value:
            return self._not_current(question_id, repeat=True)
        if not self.questionnaire.allow_back:
            return [self.ask_current(Text(messages.QUESTION_CLOSED))]
        self._store(question_id, value)
        replies = [
            recorded(
                self.questionnaire, self.questionnaire.question(question_id), value, self.language
            )
        ]
        position = self.respondent.position
        following = first_unanswered(self.questionnaire, self.answers)
        shown_ids = [q.id for q in shown(self.questionnaire, self.answers)]
        if position not in shown_ids or (
            following is not None and shown_ids.index(following) < shown_ids.index(position)
        ):
            return replies + self._advance()
        return replies

    def toggle(self, event: ev.Toggle) -> list[Reply]:
        if not self._answering():
            return [self.prompt()]
        question_id = self.respondent.position
        if event.question_id != question_id:
            return self._not_current(event.question_id)
        question = self.questionnaire.question(question_id)
        if question.type is not QuestionType.MULTIPLE_CHOICE or event.value not in question.codes:
            return [self.ask_current(Text(messages.BUTTON_EXPIRED))]
        start = self._selection(question_id)
        chosen = set(filter(None, start.split(MULTIPLE_CHOICE_SEPARATOR)))
        chosen ^= {event.value}
        if question.max_choices and len(chosen) > question.max_choices:
            return [
                self.ask_current(Text(messages.CHOOSE_AT_MOST, {"count": question.max_choices}))
            ]
        self.respondent.draft = join_choices(question, chosen)
        return [self.ask_current()]

    def _not_current(self, question_id: str, repeat: bool = False) -> list[Reply]:
        """A press on a question other than the current one that changes nothing: silent when it
        `repeat`s the answer just given (a double tap, a redelivered update), else a notice with
        the current question (an old card's button, or a stale one)."""
        if question_id not in self.answers:
            return [self.ask_current(Text(messages.BUTTON_EXPIRED))]
        position = self.respondent.position
        if repeat and previous_question(self.questionnaire, self.answers, position) == question_id:
            return []
        return [self.ask_current(Text(messages.ALREADY_ANSWERED))]

    def _selection(self, question_id: str) -> str:
        """The choices ticked so far in a multiple-choice question (or its stored answer)."""
        if self.respondent.draft is not None:
            return self.respondent.draft
        return self.answers.get(question_id, "")

    def done(self, event: ev.Done) -> list[Reply]:
        if not self._answering():
            return [self.prompt()]
        if event.question_id != self.respondent.position:
            return self._not_current(event.question_id, repeat=True)
        draft = self._selection(event.question_id)
        if not draft:
            return [self.ask_current(Text(messages.CHOOSE_AT_LEAST_ONE))]
        return self._record_and_advance(draft)

    def typed(self, event: ev.Typed) -> list[Reply]:
        stage = self.contact.stage
        if stage == Stage.LANGUAGE:
            chosen = self._language_named(event.text)
            if chosen:
                return self.choose_language(ev.ChooseLanguage(self.sender, chosen))
            return [self.language_menu(Text(messages.PRESS_A_BUTTON))]
        if stage != Stage.ANSWERING:
            return [self.prompt(Text(messages.PRESS_A_BUTTON))]
        position = self.respondent.position
        if event.question_id is not None and event.question_id != position:
            return self._typed_earlier(event)
        question = self.questionnaire.question(position)
        parsed = parse_typed(self.questionnaire, question, event.text, self.language)
        if parsed.problem is not None:
            return [self.ask_current(parsed.problem)]
        return self._record_and_advance(parsed.value, note=parsed.note)

    def _typed_earlier(self, event: ev.Typed) -> list[Reply]:
        """Text for a question other than the current one (a web page sent twice, or an old
        page): changes that answer like its button would, or nothing if it repeats it."""
        qid = event.question_id
        if not self.questionnaire.has_question(qid) or qid not in self.answers:
            return [self.ask_current(Text(messages.BUTTON_EXPIRED))]
        question = self.questionnaire.question(qid)
        parsed = parse_typed(self.questionnaire, question, event.text, self.language)
        if parsed.problem is not None:
            return [self.ask_current(Text(messages.ALREADY_ANSWERED))]
        return self._change_earlier(qid, parsed.value)

    def _language_named(self, text: str) -> str | None:
        folded = text.strip().casefold()
        for code in self.offered_languages():
            if folded in (code.casefold(), language_name(code).casefold()):
                return code
        return None

    def skip(self, event: ev.Skip) -> list[Reply]:
        if not self._answering():
            return [self.prompt()]
        if event.question_id != self.respondent.position:
            repeat = self.answers.get(event.question_id) == SKIPPED
            return self._not_current(event.question_id, repeat=repeat)
        if self.questionnaire.question(event.question_id).required:
            return [self.ask_current(Text(messages.CANNOT_SKIP))]
        return self._record_and_advance(SKIPPED)

    def back(self, event: ev.Back) -> list[Reply]:
        if not self._answering():
            return [self.prompt()]
        if not self.questionnaire.allow_back:
            return [self.ask_current(Text(messages.NO_GOING_BACK))]
        previous = previous_question(self.questionnaire, self.answers, self.respondent.position)
        if previous is None:
            return [self.ask_current(Text(messages.FIRST_QUESTION))]
        self.respondent.position = previous
        self.respondent.draft = None
        return [self.ask_current()]

    # -- recording -----------------------------------------------------------------------------

    def _store(self, question_id: str, value: str) -> None:
        key = (Answer.respondent_id == self.respondent.id, Answer.question_id == question_id)
        if question_id in self.answers:
            self.session.execute(update(Answer).where(*key).values(value=value))
        else:
            self.session.execute(
                insert(Answer).values(
                    respondent_id=self.respondent.id, question_id=question_id, value=value
                )
            )
        self.answers[question_id] = value
        for hidden in hidden_answers(self.questionnaire, self.answers):
            self.session.execute(
                delete(Answer).where(
                    Answer.respondent_id == self.respondent.id, Answer.question_id == hidden
                )
            )
            del self.answers[hidden]
        self.respondent.updated_on = self.now.date()
        reminders.record_progress(self.session, self.contact, self.campaign, self.now)

    def _record_and_advance(self, value: str, note: Text | None = None) -> list[Reply]:
        question = self.questionnaire.question(self.respondent.position)
        self._store(question.id, value)
        self.respondent.draft = None
        return [recorded(self.questionnaire, question, value, self.language), *self._advance(note)]

    def _advance(self, note: Text | None = None) -> list[Reply]:
        following = first_unanswered(self.questionnaire, self.answers)
        if following is None:
            return self._complete(note)
        self.respondent.position = following
        return [self.ask_current(note)]

    def _complete(self, note: Text | None = None) -> list[Reply]:
        self.respondent.status = RespondentStatus.COMPLETED
        self.respondent.completed_on = self.now.date()
        daily.count(self.session, self.campaign.id, self.now.date(), completed=1)
        self.respondent.position = None
        self._end_contact()
        return [self.info(*filter(None, (note, Text(messages.THANKS))))]

    # -- leaving -------------------------------------------------------------------------------

    def stop(self, event: ev.Stop) -> list[Reply]:
        return self._ask_to_leave("stop", Stage.CONFIRM_STOP)

    def delete(self, event: ev.Delete) -> list[Reply]:
        return self._ask_to_leave("delete", Stage.CONFIRM_DELETE)

    def _ask_to_leave(self, action: str, stage: str) -> list[Reply]:
        """Stop and delete need a confirmation, unless nothing has been recorded yet."""
        if self.contact.stage in (Stage.LANGUAGE, Stage.CONSENT):
            self._end_contact()
            return [self.info(Text(messages.DECLINED))]
        self.contact.stage = stage
        return [self.confirmation(action)]

    def confirm(self, event: ev.Confirm) -> list[Reply]:
        expected = {"stop": Stage.CONFIRM_STOP, "delete": Stage.CONFIRM_DELETE}.get(event.action)
        if expected is None or self.contact.stage != expected:
            return []  # a stale confirmation button
        if not event.yes:
            self.contact.stage = Stage.ANSWERING
            return [self.ask_current()]
        if event.action == "stop":
            # The position stays: where this person left off, for the dropout funnel.
            self.respondent.status = RespondentStatus.WITHDRAWN
            self.respondent.draft = None
            self.respondent.updated_on = self.now.date()
            self._end_contact()
            return [self.info(Text(messages.STOPPED))]
        respondent = self.respondent
        self._end_contact()
        self.session.delete(respondent)  # and its participation mark with it
        daily.count(self.session, self.campaign.id, respondent.started_on, started=-1)
        return [self.info(Text(messages.DELETED))]

    def _end_contact(self) -> None:
        """Forget how to reach this person, and the link to their answers."""
        self.final_language = self.language
        self.session.delete(self.contact)
        self.session.flush()
        self.contact = None

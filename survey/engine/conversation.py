"""The state one event is handled against: the person's conversation, locked, and what it binds.

A `Conversation` is made for each event, inside the event's transaction. It finds the contact
row (the conversation under way) and locks it first, so that a concurrent twin of the event waits
here and then finds what this one did; then it loads what the contact leads to: the campaign,
its questionnaire, the respondent and the answers given so far. The stage modules (`starting`,
`consenting`, `answering`, `leaving`) change this state; `prompts` builds replies from it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from survey.anonymity import participation_marks
from survey.engine import events as ev
from survey.i18n import SOURCE_LANGUAGE, match_language
from survey.questionnaire import Questionnaire
from survey.storage.models import Answer, Campaign, Contact, Participation, Respondent

if TYPE_CHECKING:
    from survey.engine.engine import ConversationEngine

# Built once: the hot path of every event (a conversation's contact, locked). The respondent is
# deliberately not joined in: on PostgreSQL a statement that waited for the lock returns joined
# rows as they were before the other worker's commit; read after the lock, they are current.
# The campaign is joined (one round trip less per event): a close deletes the contact in the
# transaction that closes, so a statement that waited for the lock then finds no contact, and
# any other change of the campaign is one the event may as well have come just before.
_CONTACT_BASE = (
    select(Contact)
    .options(joinedload(Contact.campaign, innerjoin=True))
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


class Conversation:
    """One event's view of a person's conversation; every method runs inside its transaction."""

    def __init__(
        self,
        engine: ConversationEngine,
        session: Session,
        sender: ev.Sender,
        user_hashes: list[str],
        now: dt.datetime,
    ):
        self.engine = engine
        self.session = session
        self.sender = sender
        self.now = now
        self.user_hash = user_hashes[0]  # under the current key: what new contacts get
        self.user_hashes = user_hashes
        self.contact: Contact | None = None
        self.campaign: Campaign | None = None
        self.questionnaire: Questionnaire | None = None
        self.respondent: Respondent | None = None
        self.answers: dict[str, str] = {}
        self.final_language: str | None = None  # kept for the last reply once the contact is gone

    def locked_contact(self, campaign: Campaign | None = None) -> Contact | None:
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

    def bind(self, contact: Contact) -> None:
        """Take up `contact`'s conversation: its campaign, questionnaire, respondent, answers."""
        self.contact = contact
        self.campaign = contact.campaign
        self.questionnaire = self.engine.questionnaires[self.campaign.questionnaire_id]
        if contact.respondent_id is not None:
            # The respondent and its answers in one statement, after the lock (so current);
            # `contact.respondent` then comes from the session's identity map, without SQL.
            rows = self.session.execute(
                select(Respondent, Answer.question_id, Answer.value)
                .outerjoin(Answer, Answer.respondent_id == Respondent.id)
                .where(Respondent.id == contact.respondent_id)
            ).all()
            self.answers = {q: value for _, q, value in rows if q is not None}
        self.respondent = contact.respondent
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

    def took_part(self, campaign: Campaign) -> bool:
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

    def end(self) -> None:
        """Forget how to reach this person, and the link to their answers."""
        self.final_language = self.language
        self.session.delete(self.contact)
        self.session.flush()
        self.contact = None

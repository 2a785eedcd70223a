"""The tables, kept in worlds that never meet once a response is sealed (DESIGN.md, Anonymity).

- Responses under way: `Respondent` and its `Answer` rows, with the person's participation mark
  (a keyed hash) until the response is sealed. While someone is mid-survey their contact leads
  here; that is the only time anything does.
- Sealed responses: `SealedResponse` and `SealedAnswer`, written by `survey.sealing` in shuffled
  batches of at least k with fresh random ids, no date and no time, beside the batch's marks in
  `Participation` (shuffled apart). Results and exports read only these.
- Delivery: `Contact` (keyed hash of the channel user id, the chat id encrypted) exists only while
  a conversation is under way; it is deleted when the respondent completes, withdraws or deletes,
  and when the campaign closes. `Outbox` holds messages waiting for the one sending path.
- Counters: `DailyCount` (started and completed per campaign and day), so that per-day figures
  never need a date on a response; `ParticipationCount`, `LeftOffCount` and `ReminderDayCount`
  (the dashboard's figures), kept by database triggers (migration 0008) in the transaction of
  every change.

Plus the organisation (`Administration`, `Campaign` and its outreach `CampaignSource`s) and web
accounts (`User`, `ApiToken`, `WebSession`, `SignInCounter`).

Why one module of some 700 lines: it is the schema, read as one when checking what a table
holds and what links to what (the anonymity split above is a property of the whole); each class
is a short declaration, and Alembic compares this one metadata with the migrations
(tests/test_storage.py). Column types and stored values that reads without the ORM need too are
in `survey.storage.types`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Defined apart so that reads without the ORM use them too (survey.campaign_list); named from
# here as well, by most of the code and by the migrations.
from survey.storage.types import FINISHED as FINISHED
from survey.storage.types import CampaignStatus as CampaignStatus
from survey.storage.types import RespondentStatus as RespondentStatus
from survey.storage.types import UTCDateTime as UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    return utcnow().date()


def random_id() -> str:
    """A random identifier that reveals neither order nor time (unlike an autoincrement)."""
    return secrets.token_hex(16)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Administration(Base):
    __tablename__ = "administrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    languages: Mapped[str] = mapped_column(String(200), default="en")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaigns: Mapped[list[Campaign]] = relationship(back_populates="administration")

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[str] = mapped_column(String(32))
    wave: Mapped[str] = mapped_column(String(32))
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    target_population: Mapped[int | None] = mapped_column(Integer)
    # The margin of error (95%, percentage points) the completed responses should reach.
    target_margin: Mapped[float | None] = mapped_column(Float)
    # The reminder policy (DESIGN.md, "Reminders"): durations in seconds, quiet hours as local hours.
    remind_after_s: Mapped[int] = mapped_column(Integer, default=24 * 3600)
    remind_every_s: Mapped[int] = mapped_column(Integer, default=48 * 3600)
    max_reminders: Mapped[int] = mapped_column(Integer, default=3)
    quiet_start_hour: Mapped[int] = mapped_column(Integer, default=20)
    quiet_end_hour: Mapped[int] = mapped_column(Integer, default=8)
    # None: no last call (no column default, which would turn None into 24 h).
    last_call_before_s: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Archived (survey.campaign_life): left out of the campaign lists, its results kept.
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Who may answer on the web (survey.access_codes): "open" (the link, one response per
    # browser) or "codes" (one-time access codes).
    web_access: Mapped[str] = mapped_column(String(8), default="open", server_default="open")

    # Joined: every answer reschedules a reminder in the administration's time zone.
    administration: Mapped[Administration] = relationship(back_populates="campaigns", lazy="joined")
    sources: Mapped[list[CampaignSource]] = relationship(
        back_populates="campaign", order_by="CampaignSource.tag", cascade="all, delete-orphan"
    )

    def status(self, now: dt.datetime) -> CampaignStatus:
        return CampaignStatus.at(now, self.opens_at, self.closes_at, self.closed_at)


class CampaignSource(Base):
    """An outreach channel of a campaign (a port's poster, a brokers' association).

    Its tag rides in the deep link (`code__tag`) and is kept on the respondent, so coordinators
    see which channel brings responses, never who.
    """

    __tablename__ = "campaign_sources"
    __table_args__ = (UniqueConstraint("campaign_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="sources")


class Respondent(Base):
    """A response not yet sealed (under way, or finished and waiting for its batch)."""

    __tablename__ = "respondents"
    # The dashboard counts a campaign's respondents from these two (index-only scans).
    __table_args__ = (
        Index("ix_respondents_progress", "campaign_id", "status", "position"),
        Index(
            "ix_respondents_figures",
            "campaign_id",
            "status",
            "language",
            "source_tag",
            "started_on",
            "completed_on",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=RespondentStatus.IN_PROGRESS)
    position: Mapped[str | None] = mapped_column(String(32))
    # Choices ticked so far in the current multiple-choice question, until "Done".
    draft: Mapped[str | None] = mapped_column(Text)
    source_tag: Mapped[str | None] = mapped_column(String(32))
    # How the response was started (survey.channels: chat, miniapp, web, code). Only here, on
    # the live row: sealing counts it in `ChannelCount` and leaves it off the sealed response.
    channel: Mapped[str | None] = mapped_column(String(8))
    # The participation mark (survey.anonymity.participation_mark) until sealing moves it to
    # `participations`: it stops a second response meanwhile.
    mark: Mapped[str | None] = mapped_column(String(64), index=True)
    started_on: Mapped[dt.date] = mapped_column(Date, default=today)
    updated_on: Mapped[dt.date] = mapped_column(Date, default=today)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="respondent", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Base):
    """One answer: the key (respondent, question) makes a second answer impossible."""

    __tablename__ = "answers"

    respondent_id: Mapped[str] = mapped_column(
        ForeignKey("respondents.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    respondent: Mapped[Respondent] = relationship(back_populates="answers")


class SealedStatus(StrEnum):
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    CUT_OFF = "cut_off"  # still under way when the campaign closed


class SealedResponse(Base):
    """A sealed response: a fresh random id, no date, no time, no link to anyone.

    `batch` numbers the sealing batches of a campaign (each of at least k responses, inserted in
    random order); it is shared by the whole batch. `position` is where a withdrawn or cut-off
    response left off (the dropout funnel); None for a completed one.
    """

    __tablename__ = "sealed_responses"
    __table_args__ = (
        Index("ix_sealed_responses_figures", "campaign_id", "status", "language", "source_tag"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    batch: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    position: Mapped[str | None] = mapped_column(String(32))
    source_tag: Mapped[str | None] = mapped_column(String(32))

    answers: Mapped[list[SealedAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class SealedAnswer(Base):
    __tablename__ = "sealed_answers"

    response_id: Mapped[str] = mapped_column(
        ForeignKey("sealed_responses.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    response: Mapped[SealedResponse] = relationship(back_populates="answers")


class DailyCount(Base):
    """Responses started and completed per campaign and UTC day:
    counters, so that sealed responses need no date."""

    __tablename__ = "daily_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    started: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)


class ReleaseTables(Base):
    """A wave's published result tables, computed once from its released (closed) campaigns and
    stored, so that pages and downloads read them instead of recomputing them (DESIGN.md,
    Anonymity 7).

    `version` digests what the tables were computed from (the wave's and earlier waves' closed
    campaigns and their sealed counts): a later close makes a new version, older ones stay as
    they were. `tables` is gzipped JSON written and read by `analysis.releases`.
    """

    __tablename__ = "release_tables"
    __table_args__ = (
        UniqueConstraint("administration_id", "wave", "version", "language", "min_cell"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("administrations.id", ondelete="CASCADE")
    )
    wave: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(16))
    min_cell: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    tables: Mapped[bytes] = mapped_column(LargeBinary)


class WeightMargins(Base):
    """A campaign's population margins for raking weights (analysis.weights), one row each time
    they are set or cleared: the latest row is current (`margins` None: cleared). Earlier rows
    stay, as the release versions they made do. `margins` is canonical JSON,
    {question: {value: population}}."""

    __tablename__ = "weight_margins"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    set_by: Mapped[str] = mapped_column(String(64))
    margins: Mapped[str | None] = mapped_column(Text)


class ParticipationCount(Base):
    """Responses of a campaign per (sealed, status, language, channel): a counter that the
    triggers of migration 0008 keep in the transaction that inserts, changes or deletes a
    `Respondent` or a `SealedResponse` (so no writer can forget it). Sealed statuses as stored
    (`cut_off` included); `source_tag` '' is the plain link. Never written by the code."""

    __tablename__ = "participation_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    sealed: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 live, 1 sealed
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    source_tag: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class ChannelCount(Base):
    """Responses of a campaign per (sealed, status, channel): the live part kept by the triggers
    of migration 0016 on `Respondent`, the sealed part added by sealing (survey.channels).
    `channel` '' is not recorded (responses sealed before channels were counted)."""

    __tablename__ = "channel_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    sealed: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 live, 1 sealed
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class LeftOffCount(Base):
    """Responses not completed (live or sealed) per question they are at or left off at ('' for
    a withdrawn one whose position was cleared): the dropout funnel, kept like
    `ParticipationCount`."""

    __tablename__ = "left_off_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class ReminderDayCount(Base):
    """Reminders sent per campaign and day, and how many brought an answer within 24 h: the
    sums of `ReminderSent`, kept like `ParticipationCount` (migration 0008)."""

    __tablename__ = "reminder_day_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    sent: Mapped[int] = mapped_column(Integer)
    answered_again: Mapped[int] = mapped_column(Integer)


class Contact(Base):
    """How to reach a respondent while their conversation is under way; deleted after."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "channel", "user_hash"),
        Index("ix_contacts_user", "channel", "user_hash"),
        Index("ix_contacts_due", "next_reminder_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_hash: Mapped[str] = mapped_column(String(64))
    chat_secret: Mapped[str | None] = mapped_column(Text)
    respondent_id: Mapped[str | None] = mapped_column(
        ForeignKey("respondents.id", ondelete="SET NULL"), unique=True
    )
    stage: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(16))
    source_tag: Mapped[str | None] = mapped_column(String(32))
    last_progress_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_reminder_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_event_id: Mapped[int | None] = mapped_column(BigInteger)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last reminder, while it may still count as "answered again within 24 h".
    last_reminder_id: Mapped[int | None] = mapped_column(Integer)
    last_reminder_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    campaign: Mapped[Campaign] = relationship()
    respondent: Mapped[Respondent | None] = relationship()


class Participation(Base):
    """A keyed mark per (campaign, person) whose response is sealed: stops a second response,
    leads nowhere else. Written by sealing, shuffled apart from the batch's responses."""

    __tablename__ = "participations"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    mark: Mapped[str] = mapped_column(String(64), primary_key=True)


class Outbox(Base):
    """Messages waiting for the one rate-limited sending path (replies and reminders).

    A row is written in the same transaction as the answer that caused it, so a crash between the
    two cannot lose or repeat a message; sent rows are deleted. It carries its own encrypted chat
    address because the contact may be gone (after the last answer) before the thanks go out.
    """

    __tablename__ = "outbox"
    # Ids only grow (SQLite would otherwise reuse the ids of sent rows): the sender loads what
    # is new by id.
    __table_args__ = (Index("ix_outbox_due", "not_before"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[str | None] = mapped_column(String(32))
    chat_secret: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict] = mapped_column(JSON)
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ReminderSent(Base):
    """One reminder sent, for the coordinators' figures: campaign and day only, never who.

    `answered_again` turns true when the person answers within 24 hours of it.
    """

    __tablename__ = "reminders_sent"
    __table_args__ = (Index("ix_reminders_sent_campaign_day", "campaign_id", "sent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    sent_on: Mapped[dt.date] = mapped_column(Date)
    answered_again: Mapped[bool] = mapped_column(Boolean, default=False)


class HandledUpdate(Base):
    """A channel update already handled: a redelivered one (after a crash) changes nothing.

    Written in the same transaction as the engine's work for the update. Update ids are the
    channel's own counter for the bot (not a person's identifier); rows are purged after a day,
    long after any redelivery.
    """

    __tablename__ = "handled_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    # A benchmark host's analyst: the benchmark across administrations (aggregates), nothing of
    # any campaign (web.benchmark).
    BENCHMARK = "benchmark"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    administration_id: Mapped[int | None] = mapped_column(ForeignKey("administrations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-factor sign-in (web.two_factor): the TOTP secret, Fernet-encrypted; set but not yet
    # confirmed while enrolling; the last time step used (a code is never accepted twice).
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    administration: Mapped[Administration | None] = relationship()


class RecoveryCode(Base):
    """A single-use recovery code of a user's two-factor sign-in, as its SHA-256 only."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """An API token (web.users): its SHA-256, the administration it reads (None: every one,
    admins only), whether it may write, and when it expires."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_on: Mapped[dt.date | None] = mapped_column(Date)
    administration_id: Mapped[int | None] = mapped_column(
        ForeignKey("administrations.id", ondelete="CASCADE")
    )
    read_only: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    administration: Mapped[Administration | None] = relationship()


class AppSetting(Base):
    """A setting the product learns while it runs, one row a key: the Telegram bot's username,
    read from Telegram's getMe when the bot starts (survey.bot_identity)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AccessCode(Base):
    """A one-time access code of a campaign, as its keyed hash only (survey.access_codes). `used`
    says it was spent: nothing links it to the response it opened (no respondent, no time)."""

    __tablename__ = "access_codes"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class AccessCodeTries(Base):
    """Wrong access codes typed for a campaign per time window: tries are limited per campaign."""

    __tablename__ = "access_code_tries"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class WebSession(Base):
    """A signed-in browser (web.sessions): the SHA-256 of the random id its cookie carries,
    whose account, when it signed in and when it was last seen (idle timeout, lifetime)."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SignInCounter(Base):
    """Failed sign-ins counted for one subject (web.signin_limits): an account tried from
    untrusted browsers (`account:<id>`), one trusted browser (`device:<hash>`), or one address
    (`address:<ip>`), and until when that subject is refused."""

    __tablename__ = "sign_in_counters"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One entry of the audit log (survey.audit): who did what, when, to which administration or
    campaign (codes, kept after a deletion), in which format, from which address; never a
    respondent. `prev_hash` is the hash of the entry before, `hash` this one's over its fields."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    administration: Mapped[str | None] = mapped_column(String(32))
    campaign: Mapped[str | None] = mapped_column(String(64))
    format: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(String(500))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """The audit log's lock row (one, id 1): taken FOR UPDATE by every append so that the chain
    never forks; the head (latest entry) and the anchor (the hash the first kept entry links to,
    moved by a trim)."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    head_seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    anchor_hash: Mapped[str] = mapped_column(String(64))


class BenchmarkKey(Base):
    """A public Ed25519 key a benchmark installation trusts (analysis.benchmark): an
    administration's, whose signed releases it takes part with (in `region`), or a benchmark
    host's, whose published benchmark file it imports. `key_id` is the key's digest; a revoked
    key signs nothing from then on, and what it signed leaves the benchmark."""

    __tablename__ = "benchmark_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(16))  # "administration" or "host"
    administration: Mapped[str | None] = mapped_column(String(32))  # its code, for "administration"
    region: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))  # a host's name
    trusted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class BenchmarkRelease(Base):
    """An administration's signed aggregate release, imported by a benchmark host: the envelope
    as received (`envelope`, JSON bytes), one per administration and wave (a newer release
    supersedes it). Aggregates only: no respondent-level figure exists in it."""

    __tablename__ = "benchmark_releases"
    __table_args__ = (UniqueConstraint("administration", "wave"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    administration: Mapped[str] = mapped_column(String(32))
    wave: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(ForeignKey("benchmark_keys.key_id"))
    version: Mapped[str] = mapped_column(String(16))
    released_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    digest: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BenchmarkMember(Base):
    """An administration of this installation that takes part in its benchmark with its own
    releases, because its admin opted in (`cips benchmark join`)."""

    __tablename__ = "benchmark_members"

    administration_id: Mapped[int] = mapped_column(
        ForeignKey("administrations.id", ondelete="CASCADE"), primary_key=True
    )
    region: Mapped[str] = mapped_column(String(64))
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BenchmarkFile(Base):
    """A benchmark file published by a host (distributions only) and imported here, for the
    country report's comparison; `region` is the one of the file that this installation's
    administrations belong to (empty: compared with every administration)."""

    __tablename__ = "benchmark_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("benchmark_keys.key_id"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    region: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

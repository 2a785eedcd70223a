"""What a respondent did, as a channel reports it: one small immutable event each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sender:
    """Who sent the event, in the channel's own terms (never stored in clear)."""

    channel: str
    user_id: str
    chat_id: str | None = None
    language_hint: str | None = None
    # The channel's increasing id of this update (Telegram's update_id): a redelivered update
    # with an id already handled in this conversation is ignored, typed text included.
    event_id: int | None = None
    # Which of the transport's ways in the event came through, when it has several (the Mini
    # App inside Telegram, an access code on the web): the response's channel (survey.channels)
    # is the one its consent came through. None: the transport's usual way.
    entry: str | None = None


@dataclass(frozen=True)
class Event:
    sender: Sender


@dataclass(frozen=True)
class Start(Event):
    """Opened the survey link (`code` from the deep link), or a bare start (`code` None)."""

    code: str | None = None


@dataclass(frozen=True)
class ChooseLanguage(Event):
    language: str


@dataclass(frozen=True)
class LanguageMenu(Event):
    """Asked to change language."""


@dataclass(frozen=True)
class Consent(Event):
    accept: bool
    # The keyed hash (survey.access_codes.code_hash) of the one-time code the web survey was
    # started with: spent by the consent, in its transaction, when the sender's entry is `code`.
    access_code: str | None = None


@dataclass(frozen=True)
class Answer(Event):
    """Pressed an answer button of question `question_id`."""

    question_id: str
    value: str


@dataclass(frozen=True)
class Toggle(Event):
    """Pressed a choice of multiple-choice question `question_id` (adds or removes it)."""

    question_id: str
    value: str


@dataclass(frozen=True)
class Done(Event):
    """Finished choosing in multiple-choice question `question_id`."""

    question_id: str


@dataclass(frozen=True)
class Typed(Event):
    """Sent text (an answer, a campaign code, or anything else).

    `question_id`: the question the text answers, when the channel knows it (a web form): text
    sent from a page of an earlier question then changes that answer, or nothing when it
    repeats it (a double submit), instead of answering the current question."""

    text: str
    question_id: str | None = None


@dataclass(frozen=True)
class Skip(Event):
    question_id: str


@dataclass(frozen=True)
class Back(Event):
    pass


@dataclass(frozen=True)
class Help(Event):
    pass


@dataclass(frozen=True)
class Stop(Event):
    pass


@dataclass(frozen=True)
class Delete(Event):
    pass


@dataclass(frozen=True)
class Confirm(Event):
    """Answered a stop or delete confirmation."""

    action: str  # "stop" | "delete"
    yes: bool


@dataclass(frozen=True)
class Resume(Event):
    """Pressed Continue (on a reminder): ask the current question again."""


@dataclass(frozen=True)
class Unsupported(Event):
    """Sent something the survey cannot take (sticker, photo, voice, ...)."""

    kind: str

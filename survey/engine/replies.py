"""Neutral replies that a channel renders in the respondent's language."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from survey.i18n import Text


class ReplyKind(StrEnum):
    QUESTION = "question"  # a question to answer (with progress and buttons)
    ANSWER_RECORDED = "answer_recorded"  # the answered question, to show the choice, no buttons
    LANGUAGE_MENU = "language_menu"
    CONSENT = "consent"
    CONFIRM = "confirm"
    INFO = "info"  # anything else: welcome, help, errors, thanks


class Action(StrEnum):
    """What pressing a button means; a channel carries it with the value, never with text."""

    ANSWER = "a"
    TOGGLE = "t"  # multiple choice: add or remove a choice
    DONE = "d"  # multiple choice: finish
    SKIP = "s"
    LANGUAGE = "l"
    CONSENT = "c"
    CONFIRM = "y"
    RESUME = "r"


@dataclass(frozen=True)
class Button:
    label: Text
    action: Action
    value: str = ""
    question_id: str = ""
    row: str = "main"  # buttons of the same row go side by side where they fit
    selected: bool = False


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    parts: tuple[Text, ...]
    buttons: tuple[Button, ...] = ()
    question_id: str | None = None
    progress: tuple[int, int] | None = None
    language: str = "en"

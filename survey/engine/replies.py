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


# A reply stored for later rendering (the clock's reminders wait in the outbox as data; the
# channel renders them when it sends). Arguments are Texts or plain JSON values.


def text_to_data(text: Text) -> dict:
    return {
        "msgid": text.msgid,
        "context": text.context,
        "translate": text.translate,
        "args": {k: text_to_data(v) if isinstance(v, Text) else v for k, v in text.args.items()},
    }


def text_from_data(data: dict) -> Text:
    args = {k: text_from_data(v) if isinstance(v, dict) else v for k, v in data["args"].items()}
    return Text(data["msgid"], args, data["context"], data["translate"])


def reply_to_data(reply: Reply) -> dict:
    return {
        "kind": reply.kind.value,
        "parts": [text_to_data(part) for part in reply.parts],
        "buttons": [
            {
                "label": text_to_data(b.label),
                "action": b.action.value,
                "value": b.value,
                "question_id": b.question_id,
                "row": b.row,
            }
            for b in reply.buttons
        ],
        "language": reply.language,
    }


def reply_from_data(data: dict) -> Reply:
    buttons = tuple(
        Button(
            text_from_data(b["label"]), Action(b["action"]), b["value"], b["question_id"], b["row"]
        )
        for b in data["buttons"]
    )
    parts = tuple(text_from_data(p) for p in data["parts"])
    return Reply(ReplyKind(data["kind"]), parts, buttons, language=data["language"])

"""The conversation engine: `(respondent state, event) -> replies`, independent of any channel."""

from survey.engine.engine import ConversationEngine
from survey.engine.events import (
    Answer,
    Back,
    ChooseLanguage,
    Confirm,
    Consent,
    Delete,
    Done,
    Event,
    Help,
    LanguageMenu,
    Resume,
    Sender,
    Skip,
    Start,
    Stop,
    Toggle,
    Typed,
    Unsupported,
)
from survey.engine.replies import Button, Reply, ReplyKind

__all__ = [
    "Answer",
    "Back",
    "Button",
    "ChooseLanguage",
    "Confirm",
    "Consent",
    "ConversationEngine",
    "Delete",
    "Done",
    "Event",
    "Help",
    "LanguageMenu",
    "Reply",
    "ReplyKind",
    "Resume",
    "Sender",
    "Skip",
    "Start",
    "Stop",
    "Toggle",
    "Typed",
    "Unsupported",
]

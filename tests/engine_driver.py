"""A test channel for the conversation engine: a respondent who presses buttons and types."""

from __future__ import annotations

import datetime as dt

from survey.engine import ConversationEngine, Reply, ReplyKind, Sender, Typed
from survey.engine.inputs import event_for_button, event_for_command
from survey.i18n import render


class Respondent:
    """One person talking to the engine; keeps the replies they were last sent."""

    def __init__(self, engine: ConversationEngine, user_id: str, language_hint: str | None = None):
        self.engine = engine
        self.sender = Sender("test", user_id, chat_id=user_id, language_hint=language_hint)
        self.replies: list[Reply] = []
        self.history: list[Reply] = []

    def _handle(self, event) -> list[Reply]:
        self.replies = self.engine.handle(event)
        self.history += self.replies
        return self.replies

    def command(self, name: str, argument: str = "") -> list[Reply]:
        return self._handle(event_for_command(self.sender, name, argument))

    def type(self, text: str) -> list[Reply]:
        return self._handle(Typed(self.sender, text))

    def send(self, event) -> list[Reply]:
        return self._handle(event)

    @property
    def prompt(self) -> Reply:
        """The last reply that waits for input (has buttons, or asks a question)."""
        return next(r for r in reversed(self.history) if r.buttons or r.kind is ReplyKind.QUESTION)

    def press(self, label_or_value: str) -> list[Reply]:
        """Press a button of the current prompt, by its English label or its value."""
        for button in self.prompt.buttons:
            if label_or_value in (render(button.label, "en"), button.value):
                return self._handle(event_for_button(self.sender, button))
        raise AssertionError(f"no button {label_or_value!r} in {self.prompt}")

    def button_event(self, label_or_value: str):
        for button in self.prompt.buttons:
            if label_or_value in (render(button.label, "en"), button.value):
                return event_for_button(self.sender, button)
        raise AssertionError(f"no button {label_or_value!r}")

    @property
    def question(self) -> str | None:
        return self.prompt.question_id

    def text(self, language: str | None = None) -> str:
        return "\n".join(render(p, language or r.language) for r in self.replies for p in r.parts)

    def join(self, code: str) -> None:
        """Start with a campaign code and consent."""
        self.command("start", code)
        if self.prompt.kind is ReplyKind.LANGUAGE_MENU:
            self.press("en")
        self.press("Yes, I agree")

    def answer_everything(
        self,
        choose=lambda question_id, buttons: buttons[0],
        typed=lambda question_id: "3",
    ) -> None:
        """Answer every question until the survey ends (first button, or typed: 3 unless
        `typed` says otherwise)."""
        for _ in range(500):
            prompt = self.prompt
            if prompt.kind is not ReplyKind.QUESTION or self.replies[-1].kind is ReplyKind.INFO:
                return
            answerable = [b for b in prompt.buttons if b.row != "nav"]
            if not answerable:
                self.type(typed(prompt.question_id))
            else:
                button = choose(prompt.question_id, answerable)
                self._handle(event_for_button(self.sender, button))
                if button.action == "t":
                    self.press("Done")
        raise AssertionError("the survey did not end")


class ControlledClock:
    """The engine's (and the clock's) time, moved by the test: `clock.now += ...`."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

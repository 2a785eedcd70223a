"""Turning what a channel receives (a button's data, a /command) into engine events.

Buttons travel as short strings, `action|question|value`: ids only, never text, at most 59
bytes (Telegram allows 64 for callback data).
"""

from __future__ import annotations

from survey.engine import events as ev
from survey.engine.replies import Action, Button

SEPARATOR = "|"
MAX_BUTTON_DATA = 64


def button_data(button: Button) -> str:
    data = SEPARATOR.join((button.action, button.question_id, button.value))
    if len(data.encode()) > MAX_BUTTON_DATA:
        raise ValueError(f"button data too long: {data!r}")
    return data


def event_for_button_data(sender: ev.Sender, data: str) -> ev.Event | None:
    """The event a pressed button stands for, or None for data we never sent."""
    parts = data.split(SEPARATOR)
    if len(parts) != 3:
        return None
    action, question_id, value = parts
    try:
        return event_for_button(sender, Button(label=None, action=Action(action), value=value,
                                               question_id=question_id))  # fmt: skip
    except ValueError:
        return None


def event_for_button(sender: ev.Sender, button: Button) -> ev.Event:
    action, qid, value = button.action, button.question_id, button.value
    if action is Action.ANSWER:
        return ev.Answer(sender, qid, value)
    if action is Action.TOGGLE:
        return ev.Toggle(sender, qid, value)
    if action is Action.DONE:
        return ev.Done(sender, qid)
    if action is Action.SKIP:
        return ev.Skip(sender, qid)
    if action is Action.LANGUAGE:
        return ev.ChooseLanguage(sender, value) if value else ev.LanguageMenu(sender)
    if action is Action.CONSENT:
        return ev.Consent(sender, value == "yes")
    if action is Action.CONFIRM:
        what, _, answer = value.partition(":")
        return ev.Confirm(sender, what, answer == "yes")
    if action is Action.RESUME:
        return ev.Resume(sender)
    raise ValueError(f"unknown action {action!r}")


# The commands every channel offers (Telegram's menu lists them in each language).
COMMANDS = ("start", "language", "back", "help", "stop", "delete")


def event_for_command(sender: ev.Sender, name: str, argument: str = "") -> ev.Event:
    """`/start CODE`, `/back`, ... ; an unknown command gets the help."""
    name = name.lower()
    if name == "start":
        return ev.Start(sender, argument.strip() or None)
    simple = {
        "language": ev.LanguageMenu,
        "back": ev.Back,
        "help": ev.Help,
        "stop": ev.Stop,
        "delete": ev.Delete,
    }
    return simple.get(name, ev.Help)(sender)

"""A neutral engine reply as a Telegram message: plain text, inline keyboard, reading direction.

Plain text (no parse mode), so that nothing a respondent or a translator writes can break the
markup. Right-to-left languages get a right-to-left mark at the start of every line (a line that
starts with a digit or a Latin word would otherwise be laid out left to right) and their
arguments isolated; rows of buttons side by side are reversed so that they read right to left,
while the agreement scale, one answer per row, reads top to bottom in every language.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from bot import messages as bot_messages
from survey.engine import messages
from survey.engine.inputs import button_data
from survey.engine.replies import Button, Reply, ReplyKind
from survey.i18n import Text, is_right_to_left, render

MAX_TEXT = 4096  # the Bot API's limit for a message
ROW_WIDTH = 30  # characters of button labels that fit side by side on a phone
MAX_PER_ROW = 3
ONE_PER_ROW = frozenset({"scale", "main"})  # answers: full width, never cut off
RIGHT_TO_LEFT_MARK = "\u200f"
SELECTED = "✅ "

Keyboard = tuple[tuple[tuple[str, str], ...], ...]  # rows of (label, callback data)
# A key whose data starts with this opens the URL after it as a Mini App (`web_app` button)
# instead of sending callback data; engine data never starts with it (`survey.engine.inputs`).
WEB_APP = "web_app:"
MINI_APP_PATH = "/tg/app"  # the Mini App's entry on the web back end (web.respond.miniapp)
OFFERS_FORM = frozenset({ReplyKind.QUESTION, ReplyKind.CONSENT})  # cards of a survey under way


@dataclass(frozen=True)
class Message:
    text: str
    keyboard: Keyboard = ()


def paragraphs(reply: Reply) -> list[Text]:
    """The reply's paragraphs, progress first."""
    parts: list[Text] = []
    if reply.progress is not None:
        number, total = reply.progress
        parts.append(Text(messages.PROGRESS, {"number": number, "total": total}))
    parts.extend(reply.parts)
    return parts


def text_of(reply: Reply) -> str:
    """The reply's paragraphs in its language, progress first, within Telegram's limit."""
    return localized(paragraphs(reply), reply.language)


def localized(parts: list[Text], language: str) -> str:
    """Paragraphs rendered in `language`, laid out in its direction, cut to the Bot API limit."""
    rtl = is_right_to_left(language)
    text = "\n\n".join(render(part, language, isolate=rtl) for part in parts)
    if rtl:
        text = "\n".join(RIGHT_TO_LEFT_MARK + line for line in text.split("\n"))
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return text


def form_url(public_url: str | None) -> str | None:
    """The Mini App's address at CIPS_PUBLIC_URL, or None when that is not HTTPS: Telegram opens
    only HTTPS addresses as Mini Apps (and refuses the message with a `web_app` button that has
    another), so without it the bot offers no form."""
    if public_url and public_url.lower().startswith("https://"):
        return public_url.rstrip("/") + MINI_APP_PATH
    return None


def keyboard_of(reply: Reply, form: str | None = None) -> Keyboard:
    """The reply's buttons; with `form` (the Mini App's address), a last row "Answer as a form"
    under a question or the consent."""
    rtl = is_right_to_left(reply.language)
    rows: list[tuple[tuple[str, str], ...]] = []
    for row_name, buttons in groupby(reply.buttons, key=lambda b: b.row):
        keys = [(_label(button, reply.language), button_data(button)) for button in buttons]
        for row in _fit(keys, one_per_row=row_name in ONE_PER_ROW):
            rows.append(tuple(reversed(row)) if rtl else tuple(row))
    if form and reply.kind in OFFERS_FORM:
        rows.append(((render(Text(bot_messages.ANSWER_AS_FORM), reply.language), WEB_APP + form),))
    return tuple(rows)


def message_of(reply: Reply, form: str | None = None) -> Message:
    return Message(text_of(reply), keyboard_of(reply, form))


def _label(button: Button, language: str) -> str:
    label = render(button.label, language)
    return SELECTED + label if button.selected else label


def _fit(keys: list[tuple[str, str]], *, one_per_row: bool) -> list[list[tuple[str, str]]]:
    """Split a row of buttons into rows that fit a phone screen without cutting labels."""
    if one_per_row:
        return [[key] for key in keys]
    rows: list[list[tuple[str, str]]] = [[]]
    width = 0
    for key in keys:
        if rows[-1] and (width + len(key[0]) > ROW_WIDTH or len(rows[-1]) == MAX_PER_ROW):
            rows.append([])
            width = 0
        rows[-1].append(key)
        width += len(key[0])
    return rows

"""Writing Telegram messages to the durable outbox, inside the transaction that caused them.

A row holds one Bot API call (send or edit) for one chat, with the chat id encrypted: the
contact may be gone by the time it is sent (the thanks after the last answer). The sender
(`bot.sender`) reads the table (woken by every committed turn, and every second for the clock's
reminders and rows a crash left behind) and deletes a row once Telegram has accepted it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from bot.render import Keyboard, Message, keyboard_of, localized, message_of, paragraphs
from survey.anonymity import ChatCipher
from survey.engine.replies import Reply, ReplyKind
from survey.i18n import Text
from survey.storage.models import Outbox, utcnow

SEND = "send"
EDIT = "edit"
LAST_QUESTION = "last"  # edit target: the last question sent to this chat (typed answers)


@dataclass
class Row:
    """An outbox row as the sender handles it, the chat id in clear."""

    id: int
    chat: str
    contact_id: str | None
    kind: str
    payload: dict


@dataclass(frozen=True)
class Pressed:
    """The message whose button was pressed, and the question it asked (if any)."""

    message_id: int
    question_id: str | None


def payload(message: Message, *, edit: int | str | None = None, track: bool = False) -> dict:
    """The outbox payload: what to call, with what text and buttons."""
    return {
        "method": EDIT if edit is not None else SEND,
        "message_id": edit,
        "text": message.text,
        "keyboard": [[list(key) for key in row] for row in message.keyboard],
        "track": track,  # remember the sent message as the chat's current question
    }


def payloads_for(
    replies: list[Reply], pressed: Pressed | None, form: str | None = None
) -> list[dict]:
    """How a turn's replies reach the chat: one question card, edited in place where possible.

    - A button pressed (on a question card, the consent, a reminder's Continue): that message is
      edited once to show everything the turn says (an answer just given on it on one line at
      the top, then the next question with its buttons, or the thanks): one message per answer.
      Replies after the first one with buttons (rare) follow as new messages.
    - Otherwise (a typed answer, a command): the answered question is edited to show the choice
      without buttons (the last card sent), and every other reply is a new message; the sender
      collapses the chat's previous card before a new one.

    `form`: the Mini App's address, offered under questions and the consent (`bot.render`).
    """
    if pressed is not None and replies:
        merged, rest = _merged_card(replies, pressed.question_id, form)
        edit = payload(merged, edit=pressed.message_id, track=True)
        return [edit, *(payload(message_of(r, form), track=_is_card(r)) for r in rest)]
    out = []
    for reply in replies:
        message = message_of(reply, form)
        if reply.kind is ReplyKind.ANSWER_RECORDED:
            out.append(payload(message, edit=LAST_QUESTION))
        else:
            out.append(payload(message, track=_is_card(reply)))
    return out


def _is_card(reply: Reply) -> bool:
    return reply.kind is ReplyKind.QUESTION


def _merged_card(
    replies: list[Reply], pressed_question: str | None, form: str | None = None
) -> tuple[Message, list[Reply]]:
    """The pressed message's new content: the turn's replies up to the first with buttons (an
    answer given on it as its one confirmation line), and the replies left over."""
    parts: list[Text] = []
    keyboard: Keyboard = ()
    taken = 0
    for reply in replies:
        taken += 1
        if reply.kind is ReplyKind.ANSWER_RECORDED and reply.question_id == pressed_question:
            parts.extend(reply.parts[-1:])  # "Your answer: …"
            continue
        parts.extend(paragraphs(reply))
        keyboard = keyboard_of(reply, form)
        if keyboard:
            break
    return Message(localized(parts, replies[0].language), keyboard), replies[taken:]


def enqueue(
    connection: Connection,
    cipher: ChatCipher,
    chat_id: int | str,
    payloads: list[dict],
    *,
    contact_id: str | None = None,
    kind: str = "reply",
) -> int:
    """Write the payloads for one chat, in order (ids only grow); how many."""
    if payloads:
        secret = cipher.encrypt(str(chat_id))
        now = utcnow()
        connection.execute(
            insert(Outbox),
            [{"contact_id": contact_id, "chat_secret": secret, "kind": kind, "payload": p,
              "not_before": now, "attempts": 0} for p in payloads],
        )  # fmt: skip
    return len(payloads)

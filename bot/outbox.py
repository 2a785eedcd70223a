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

from bot.render import Message, message_of
from survey.anonymity import ChatCipher
from survey.engine.replies import Reply, ReplyKind
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


def payloads_for(replies: list[Reply], pressed: Pressed | None) -> list[dict]:
    """How a turn's replies reach the chat: edits where they update a message, sends otherwise.

    - The answered question is edited to show the choice without buttons: the pressed message,
      or (for a typed answer) the last question sent.
    - A question asked again on the message that was pressed (a multiple-choice tick, a note) is
      edited in place; every other reply is a new message.
    """
    out = []
    for reply in replies:
        message = message_of(reply)
        same_question = (
            pressed is not None
            and reply.question_id is not None
            and reply.question_id == pressed.question_id
        )
        if reply.kind is ReplyKind.ANSWER_RECORDED:
            out.append(
                payload(message, edit=pressed.message_id if same_question else LAST_QUESTION)
            )
        elif reply.kind is ReplyKind.QUESTION and same_question:
            out.append(payload(message, edit=pressed.message_id, track=True))
        else:
            out.append(payload(message, track=reply.kind is ReplyKind.QUESTION))
    return out


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

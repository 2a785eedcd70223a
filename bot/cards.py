"""One outbox row as Bot API calls, each paced, around the chat's current question card.

One card per chat: a button answer edits the card in place (`bot.outbox.payloads_for`); before
a new card is sent (after a typed answer, a reminder's Continue, a command), the chat's previous
card is collapsed, edited to its text without buttons, so that only the newest can be answered.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from cachetools import LRUCache
from telegram import Bot
from telegram.error import BadRequest

from bot.outbox import EDIT, LAST_QUESTION, Row
from bot.outbox import payload as outbox_payload
from bot.pacing import Pacer
from bot.render import WEB_APP, message_of
from bot.request import call
from survey.engine.replies import reply_from_data

CARDS_KEPT = 50_000  # chats whose current card is remembered (about 1 KB each at most)


@dataclass(frozen=True)
class Card:
    """A chat's current question card: its message, its text, and whether it shows buttons."""

    message_id: int
    text: str
    buttons: bool


class ChatCards:
    """Sends rows as Bot API calls, remembering each chat's current card."""

    def __init__(self, bot: Bot, pacer: Pacer):
        self.bot = bot
        self.pacer = pacer
        # chat -> its current question card: edited in place, collapsed before a new one.
        # Kept in memory (bounded): after a restart the card sent before it is not collapsed.
        self.cards: LRUCache[str, Card] = LRUCache(maxsize=CARDS_KEPT)

    def forget(self, chat: str) -> None:
        """The chat's card is gone (the person cleared the chat): nothing left to collapse."""
        self.cards.pop(chat, None)

    async def send(self, row: Row, *, spare: bool) -> None:
        """The row's calls; Telegram's errors are the caller's (`bot.sender`)."""
        payload = row.payload
        if "reply" in payload:  # written by another process (the clock's reminders)
            payload = outbox_payload(message_of(reply_from_data(payload["reply"])))
        keyboard = payload.get("keyboard") or []
        card = self.cards.get(row.chat)
        if payload["method"] == EDIT:
            message_id = payload.get("message_id")
            if message_id == LAST_QUESTION:
                message_id = card.message_id if card is not None else None
            if message_id is None:
                return  # nothing to edit (e.g. after a restart): the next question follows
            await self._paced(row.chat, "editMessageText", spare=spare, message_id=message_id,
                              text=payload["text"], reply_markup=_markup(keyboard))  # fmt: skip
            if card is not None and card.message_id == message_id:
                self.cards[row.chat] = Card(message_id, payload["text"], bool(keyboard))
        else:
            if keyboard and card is not None and card.buttons:
                await self._collapse(row.chat, card, spare=spare)
            message = await self._paced(row.chat, "sendMessage", spare=spare, text=payload["text"],
                                        reply_markup=_markup(keyboard))  # fmt: skip
            message_id = message["message_id"]
        if payload.get("track"):
            self.cards[row.chat] = Card(message_id, payload["text"], bool(keyboard))

    async def _collapse(self, chat: str, card: Card, *, spare: bool) -> None:
        """The chat's previous card without its buttons, before a new card is sent: only the
        newest card can be answered. Best effort: a card that cannot be edited any more stays."""
        with contextlib.suppress(BadRequest):
            await self._paced(chat, "editMessageText", spare=spare, message_id=card.message_id,
                              text=card.text, reply_markup=None)  # fmt: skip
        self.cards[chat] = Card(card.message_id, card.text, False)

    async def _paced(self, chat: str, method: str, *, spare: bool, **params) -> dict:
        """One message-counted call, in its turn (`Pacer.turn`): taken as the call leaves, once a
        connection is held (taken before, a wait for a connection would let messages paced a
        second apart leave together), and held until Telegram's answer came back."""
        async with self.pacer.turn(chat, spare=spare):
            # Chat ids are numbers (a JSON body keeps the type).
            return await call(self.bot, method, chat_id=int(chat), **params)


def _markup(rows: list[list[list[str]]]) -> dict | None:
    """An inline keyboard as the Bot API takes it (none: an edit removes the buttons)."""
    if not rows:
        return None
    keyboard = [[_key(label, data) for label, data in row] for row in rows]
    return {"inline_keyboard": keyboard}


def _key(label: str, data: str) -> dict:
    if data.startswith(WEB_APP):  # "Answer as a form": opens the Mini App
        return {"text": label, "web_app": {"url": data.removeprefix(WEB_APP)}}
    return {"text": label, "callback_data": data}

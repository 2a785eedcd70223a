"""Thin python-telegram-bot handlers: an update in, an engine event, the service call.

The bot answers in private chats only. Added to a group, or sent a command there, it says once
that it works in private chats and does nothing else; other group messages are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import CallbackQuery, ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import messages
from bot.database import CHANNEL
from bot.outbox import Pressed
from bot.request import call
from bot.service import BotService
from survey.engine import events as ev
from survey.engine.inputs import COMMANDS, SEPARATOR, event_for_button_data, event_for_command
from survey.i18n import SOURCE_LANGUAGE, Text, available_languages, match_language

log = logging.getLogger(__name__)

SERVICE = "cips"
FAILED = "failed updates"
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
MEDIA_KINDS = ("sticker", "photo", "voice", "video", "video_note", "animation", "audio",
               "document", "location", "contact", "poll", "dice")  # fmt: skip


def _service(context: ContextTypes.DEFAULT_TYPE) -> BotService:
    return context.bot_data[SERVICE]


def _sender(update: Update) -> ev.Sender:
    user = update.effective_user
    return ev.Sender(
        CHANNEL, str(user.id), str(update.effective_chat.id), user.language_code, update.update_id
    )


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    name, _, argument = update.effective_message.text[1:].partition(" ")
    name = name.split("@")[0]  # /start@cips_bot
    await _service(context).handle(event_for_command(_sender(update), name, argument))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _service(context).handle(ev.Typed(_sender(update), update.effective_message.text))


async def on_other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    kind = next((k for k in MEDIA_KINDS if getattr(message, k, None)), "other")
    await _service(context).handle(ev.Unsupported(_sender(update), kind))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    service = _service(context)
    answered = asyncio.create_task(_answer(query, service))  # at once: the spinner stops
    sender = _sender(update)
    data = query.data or ""
    event = event_for_button_data(sender, data) or ev.Resume(sender)
    pressed = None
    if query.message is not None:
        parts = data.split(SEPARATOR)
        pressed = Pressed(query.message.message_id, parts[1] if len(parts) == 3 else None)
    try:
        await service.handle(event, pressed)
    finally:
        await answered


async def _answer(query: CallbackQuery, service: BotService) -> None:
    with contextlib.suppress(TelegramError):
        async with service.api_calls:
            await call(query.get_bot(), "answerCallbackQuery", callback_query_id=query.id)


async def on_private_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat, `my_chat_member` says the person blocked ("kicked") or unblocked
    ("member") the bot: marked at once, before any reminder is attempted."""
    status = update.my_chat_member.new_chat_member.status
    if status in (ChatMember.BANNED, ChatMember.MEMBER):
        await _service(context).membership(
            str(update.effective_chat.id), blocked=status == ChatMember.BANNED
        )


async def on_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is None:
        return
    if update.effective_chat.type == ChatType.PRIVATE:
        if update.my_chat_member is not None:
            await on_private_member(update, context)
        return
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status not in (
        ChatMember.MEMBER,
        ChatMember.ADMINISTRATOR,
    ):
        return  # removed from the group: nothing to say
    user = update.effective_user
    hint = user.language_code if user else None
    language = match_language(hint, available_languages()) or SOURCE_LANGUAGE
    await _service(context).say(
        str(update.effective_chat.id),
        language,
        Text(messages.PRIVATE_ONLY),
        update_id=update.update_id,
    )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Never log the update itself: it carries chat and user ids.
    log.error("handling an update failed: %r", context.error, exc_info=context.error)
    if isinstance(update, Update):
        failed(context.application).add(update.update_id)  # to be handled again


def failed(application: Application) -> set[int]:
    """Ids of updates whose handling failed (the database was down...): not confirmed."""
    return application.bot_data.setdefault(FAILED, set())


def install(application: Application, service: BotService) -> None:
    application.bot_data[SERVICE] = service
    groups = filters.ChatType.GROUPS
    application.add_handlers(
        [
            ChatMemberHandler(on_group, ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(groups & filters.COMMAND, on_group),
            CommandHandler(COMMANDS, on_command, filters=PRIVATE),
            MessageHandler(PRIVATE & filters.COMMAND, on_command),  # unknown: the help
            MessageHandler(PRIVATE & filters.TEXT, on_text),
            MessageHandler(PRIVATE, on_other_message),
            CallbackQueryHandler(on_button),
        ]
    )
    application.add_error_handler(on_error)

"""Starting a conversation: a survey link (or a campaign code typed), and what an event gets
when the person has no conversation under way."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from sqlalchemy import select

from survey.engine import events as ev
from survey.engine import messages
from survey.engine.conversation import Conversation
from survey.engine.flow import Stage
from survey.engine.prompts import info, prompt
from survey.engine.replies import Reply
from survey.i18n import Text, match_language, verbatim
from survey.storage.models import Campaign, CampaignStatus, Contact

SOURCE_TAG = re.compile(r"^[a-z0-9-]{1,32}$")
START_CODE = re.compile(r"^[A-Za-z0-9_-]{3,64}$")
SOURCE_SEPARATOR = "__"


def start(conv: Conversation, payload: str | None) -> list[Reply]:
    """`payload`: the deep link's `CODE` or `CODE__tag` (None: a bare start, which continues
    the conversation under way, if any)."""
    if not payload:
        existing = conv.locked_contact()
        if existing is not None:
            conv.bind(existing)
            return [prompt(conv)]
        return [info(conv, Text(messages.ASK_CODE))]
    code, _, tag = payload.strip().partition(SOURCE_SEPARATOR)
    # Exact code first; codes typed by hand are often in the wrong case.
    campaign = conv.session.scalar(
        select(Campaign)
        .where(Campaign.code.in_({code, code.lower()}))
        .order_by((Campaign.code == code).desc())
        .limit(1)
    )
    if campaign is None:
        return [info(conv, Text(messages.UNKNOWN_CODE, {"code": verbatim(code[:64])}))]
    conv.campaign = campaign
    status = campaign.status(conv.now)
    if status is CampaignStatus.SCHEDULED:
        local = campaign.opens_at.astimezone(ZoneInfo(campaign.administration.timezone))
        date = (
            f"{format_date(local, 'long', locale=conv.language)} "
            f"{format_time(local, 'short', locale=conv.language)}"
        )
        return [info(conv, Text(messages.NOT_OPEN_YET, {"date": verbatim(date)}))]
    if status is CampaignStatus.CLOSED:
        return [info(conv, Text(messages.CAMPAIGN_CLOSED))]
    existing = conv.locked_contact(campaign)
    if existing is not None:
        conv.bind(existing)
        return [prompt(conv)]
    if conv.took_part(campaign):
        return [info(conv, Text(messages.ALREADY_TOOK_PART))]
    return _new_contact(conv, campaign, tag if SOURCE_TAG.match(tag) else None)


def _new_contact(conv: Conversation, campaign: Campaign, source_tag: str | None) -> list[Reply]:
    offered = conv.offered_languages()
    language = match_language(conv.sender.language_hint, offered)
    if len(offered) == 1:
        language = offered[0]
    sender = conv.sender
    conv.contact = Contact(
        campaign=campaign,
        channel=sender.channel,
        user_hash=conv.user_hash,
        chat_secret=conv.engine.cipher.encrypt(sender.chat_id) if sender.chat_id else None,
        stage=Stage.CONSENT if language else Stage.LANGUAGE,
        language=language,
        source_tag=source_tag,
        last_progress_at=conv.now,
    )
    conv.session.add(conv.contact)
    conv.session.flush()  # a concurrent twin start fails here on the unique key, and retries
    conv.questionnaire = conv.engine.questionnaires[campaign.questionnaire_id]
    return [prompt(conv)]


def without_conversation(conv: Conversation, event: ev.Event) -> list[Reply]:
    """Any event but a start from a person with no conversation under way."""
    if isinstance(event, ev.Typed):
        text = event.text.strip()
        if START_CODE.match(text):
            return start(conv, text)
        return [info(conv, Text(messages.ASK_CODE))]
    if isinstance(event, ev.Answer | ev.Skip | ev.Toggle | ev.Done | ev.Confirm | ev.Consent):
        return [info(conv, Text(messages.CONVERSATION_ENDED))]  # an old card's button
    if isinstance(event, ev.Delete):
        return [info(conv, Text(messages.NOTHING_TO_DELETE))]
    if isinstance(event, ev.Help):
        return [info(conv, Text(messages.HELP), Text(messages.ASK_CODE))]
    if isinstance(event, ev.Unsupported):
        return [info(conv, Text(messages.UNSUPPORTED), Text(messages.ASK_CODE))]
    return [info(conv, Text(messages.NOTHING_IN_PROGRESS))]

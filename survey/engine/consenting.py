"""The stages before the first question: choosing a language, then agreeing to take part (which
makes the respondent) or declining (which ends the conversation, nothing recorded)."""

from __future__ import annotations

# Modules, not names: survey.reminders imports the engine.
from survey import access_codes, channels, daily, reminders
from survey.anonymity import participation_mark
from survey.engine import events as ev
from survey.engine import messages
from survey.engine.conversation import Conversation
from survey.engine.flow import Stage, first_unanswered
from survey.engine.prompts import ask_current, info, language_menu, prompt
from survey.engine.replies import Reply
from survey.i18n import Text, language_name
from survey.storage.models import Respondent


def choose_language(conv: Conversation, event: ev.ChooseLanguage) -> list[Reply]:
    if event.language not in conv.offered_languages():
        return [language_menu(conv)]
    conv.contact.language = event.language
    if conv.respondent is not None:
        conv.respondent.language = event.language
    if conv.contact.stage == Stage.LANGUAGE:
        conv.contact.stage = Stage.CONSENT
    return [prompt(conv)]


def typed_language(conv: Conversation, text: str) -> list[Reply]:
    """Text sent while the language menu is shown: a language by its code or its name."""
    folded = text.strip().casefold()
    for code in conv.offered_languages():
        if folded in (code.casefold(), language_name(code).casefold()):
            return choose_language(conv, ev.ChooseLanguage(conv.sender, code))
    return [language_menu(conv, Text(messages.PRESS_A_BUTTON))]


def consent(conv: Conversation, event: ev.Consent) -> list[Reply]:
    if conv.contact.stage not in (Stage.CONSENT, Stage.LANGUAGE):
        return []  # already decided: a stale or repeated press
    if not event.accept:
        conv.end()
        return [info(conv, Text(messages.DECLINED))]
    campaign = conv.campaign
    if conv.took_part(campaign):
        conv.end()
        return [info(conv, Text(messages.ALREADY_TOOK_PART))]
    sender = conv.sender
    if sender.entry == channels.CODE and (refusal := _spend_code(conv, event.access_code)):
        conv.end()
        return [info(conv, Text(refusal))]
    mark = participation_mark(conv.engine.secret_key, campaign.code, sender.channel, sender.user_id)
    conv.respondent = Respondent(
        campaign_id=campaign.id,
        language=conv.language,
        source_tag=conv.contact.source_tag,
        channel=channels.recorded(sender.channel, sender.entry),
        position=first_unanswered(conv.questionnaire, {}),
        mark=mark,
        started_on=conv.now.date(),
        updated_on=conv.now.date(),
    )
    conv.session.add(conv.respondent)
    conv.session.flush()
    daily.count(conv.session, campaign.id, conv.now.date(), started=1)
    conv.contact.respondent_id = conv.respondent.id
    conv.contact.stage = Stage.ANSWERING
    reminders.record_progress(conv.session, conv.contact, campaign, conv.now)
    return [ask_current(conv)]


def _spend_code(conv: Conversation, hashed: str | None) -> str | None:
    """Spend the access code the web survey was started with, in the consent's transaction (so
    a code is used only by a response that begins: declining keeps it); what to say if it
    cannot be (a twin browser with the same code agreed first), else None."""
    if not hashed:  # the campaign began asking for codes after this browser started
        return messages.CODE_NEEDED
    if access_codes.spend(conv.session, conv.campaign, hashed) is not access_codes.Redeemed.OK:
        return messages.CODE_USED
    return None

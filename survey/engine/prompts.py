"""The replies a conversation gives at each stage: the language menu, the consent request, a
stop or delete confirmation, the current question, and short notices (`info`).

Built from a `Conversation`'s state, in its language; what asks a question itself is in
`questions`.
"""

from __future__ import annotations

from survey import channels
from survey.engine import messages
from survey.engine.conversation import Conversation
from survey.engine.flow import Stage, first_unanswered, progress
from survey.engine.questions import ask, title_text
from survey.engine.replies import Action, Button, Reply, ReplyKind
from survey.i18n import Text, language_name, verbatim
from survey.questionnaire import QuestionType

# The consent's texts and the leaving confirmations, per channel (messages.py says why they
# differ); the chat's are the default.
_INTRO = {channels.MINIAPP: messages.INTRO_FORM, channels.WEB: messages.INTRO_FORM,
          channels.CODE: messages.INTRO_FORM}  # fmt: skip
_ANONYMITY = {channels.MINIAPP: messages.ANONYMITY_MINIAPP, channels.WEB: messages.ANONYMITY_WEB,
              channels.CODE: messages.ANONYMITY_CODE}  # fmt: skip
_CONFIRM_STOP = {channels.WEB: messages.CONFIRM_STOP_WEB, channels.CODE: messages.CONFIRM_STOP_WEB}
_CONFIRM_DELETE = {channels.CODE: messages.CONFIRM_DELETE_CODE}


def channel(conv: Conversation) -> str:
    """The channel the person is looking at now (survey.channels), as its transport says."""
    return channels.recorded(conv.sender.channel, conv.sender.entry)


def info(conv: Conversation, *parts: Text) -> Reply:
    return Reply(ReplyKind.INFO, tuple(parts), language=conv.language)


def language_menu(conv: Conversation, note: Text | None = None) -> Reply:
    buttons = tuple(
        Button(verbatim(language_name(code)), Action.LANGUAGE, code, row=f"lang{i // 2}")
        for i, code in enumerate(conv.offered_languages())
    )
    parts = ((note,) if note else ()) + (Text(messages.CHOOSE_LANGUAGE),)
    return Reply(ReplyKind.LANGUAGE_MENU, parts, buttons, language=conv.language)


def consent_request(conv: Conversation, note: Text | None = None) -> Reply:
    q = conv.questionnaire
    # The same total as the first question's progress shows (the longest path).
    first = first_unanswered(q, {})
    count = progress(q, {}, first)[1] if first is not None else 0
    way = channel(conv)
    intro = Text(_INTRO.get(way, messages.INTRO), {"title": title_text(q), "count": count})
    parts = ((note,) if note else ()) + (
        intro,
        Text(_ANONYMITY.get(way, messages.ANONYMITY), {"k": conv.engine.min_cell}),
        Text(messages.CONSENT_QUESTION),
    )
    buttons = (
        Button(Text(messages.I_AGREE), Action.CONSENT, "yes"),
        Button(Text(messages.NO_THANKS), Action.CONSENT, "no"),
        Button(Text(messages.CHANGE_LANGUAGE), Action.LANGUAGE, "", row="nav"),
    )
    return Reply(ReplyKind.CONSENT, parts, buttons, language=conv.language)


def confirmation(conv: Conversation, action: str, note: Text | None = None) -> Reply:
    # The response's own channel: a browser that began before its campaign asked for codes
    # spent none, whatever the campaign asks now.
    way = conv.respondent.channel if conv.respondent is not None else channel(conv)
    text, yes = {
        "stop": (_CONFIRM_STOP.get(way, messages.CONFIRM_STOP), messages.YES_STOP),
        "delete": (_CONFIRM_DELETE.get(way, messages.CONFIRM_DELETE), messages.YES_DELETE),
    }[action]
    buttons = (
        Button(Text(yes), Action.CONFIRM, f"{action}:yes"),
        Button(Text(messages.NO_CONTINUE), Action.CONFIRM, f"{action}:no"),
    )
    parts = ((note,) if note else ()) + (Text(text),)
    return Reply(ReplyKind.CONFIRM, parts, buttons, language=conv.language)


def ask_current(conv: Conversation, note: Text | None = None) -> Reply:
    """The question at the respondent's position, with the choices ticked so far."""
    question = conv.questionnaire.question(conv.respondent.position)
    answers = dict(conv.answers)
    if question.type is QuestionType.MULTIPLE_CHOICE and conv.respondent.draft is not None:
        answers[question.id] = conv.respondent.draft
    return ask(conv.questionnaire, question, answers, conv.language, note)


def prompt(conv: Conversation, note: Text | None = None) -> Reply:
    """What the conversation is waiting for, asked again."""
    stage = conv.contact.stage
    if stage == Stage.LANGUAGE:
        return language_menu(conv, note)
    if stage == Stage.CONSENT:
        return consent_request(conv, note)
    if stage == Stage.CONFIRM_STOP:
        return confirmation(conv, "stop", note)
    if stage == Stage.CONFIRM_DELETE:
        return confirmation(conv, "delete", note)
    return ask_current(conv, note)

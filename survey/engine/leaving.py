"""Ending a conversation: /stop and /delete with their confirmation, and completion.

Each ends by forgetting the contact (`Conversation.end`); what stays of the answers is in the
engine's module docstring.
"""

from __future__ import annotations

from survey import daily
from survey.engine import events as ev
from survey.engine import messages
from survey.engine.conversation import Conversation
from survey.engine.flow import Stage
from survey.engine.prompts import ask_current, confirmation, info
from survey.engine.replies import Reply
from survey.i18n import Text
from survey.storage.models import RespondentStatus


def stop(conv: Conversation, event: ev.Stop) -> list[Reply]:
    return _ask_to_leave(conv, "stop", Stage.CONFIRM_STOP)


def delete(conv: Conversation, event: ev.Delete) -> list[Reply]:
    return _ask_to_leave(conv, "delete", Stage.CONFIRM_DELETE)


def _ask_to_leave(conv: Conversation, action: str, stage: str) -> list[Reply]:
    """Stop and delete need a confirmation, unless nothing has been recorded yet."""
    if conv.contact.stage in (Stage.LANGUAGE, Stage.CONSENT):
        conv.end()
        return [info(conv, Text(messages.DECLINED))]
    conv.contact.stage = stage
    return [confirmation(conv, action)]


def confirm(conv: Conversation, event: ev.Confirm) -> list[Reply]:
    expected = {"stop": Stage.CONFIRM_STOP, "delete": Stage.CONFIRM_DELETE}.get(event.action)
    if expected is None or conv.contact.stage != expected:
        return []  # a stale confirmation button
    if not event.yes:
        conv.contact.stage = Stage.ANSWERING
        return [ask_current(conv)]
    respondent = conv.respondent
    if event.action == "stop":
        # The position stays: where this person left off, for the dropout funnel.
        respondent.status = RespondentStatus.WITHDRAWN
        respondent.draft = None
        respondent.updated_on = conv.now.date()
        conv.end()
        return [info(conv, Text(messages.STOPPED))]
    conv.end()
    conv.session.delete(respondent)  # and its participation mark with it
    daily.count(conv.session, conv.campaign.id, respondent.started_on, started=-1)
    return [info(conv, Text(messages.DELETED))]


def complete(conv: Conversation, note: Text | None = None) -> list[Reply]:
    """The last question answered: the response is complete, the conversation over."""
    respondent = conv.respondent
    respondent.status = RespondentStatus.COMPLETED
    respondent.completed_on = conv.now.date()
    daily.count(conv.session, conv.campaign.id, conv.now.date(), completed=1)
    respondent.position = None
    conv.end()
    return [info(conv, *filter(None, (note, Text(messages.THANKS))))]

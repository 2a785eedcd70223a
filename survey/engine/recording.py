"""Writing an answer and moving on: the answer stored (answers that it now hides removed), the
position moved to the next question the flow asks, or the response completed."""

from __future__ import annotations

from sqlalchemy import delete, insert, update

from survey import reminders  # the module: survey.reminders also imports the engine package
from survey.engine.conversation import Conversation
from survey.engine.flow import first_unanswered, hidden_answers
from survey.engine.leaving import complete
from survey.engine.prompts import ask_current
from survey.engine.questions import recorded
from survey.engine.replies import Reply
from survey.i18n import Text
from survey.storage.models import Answer


def store(conv: Conversation, question_id: str, value: str) -> None:
    respondent = conv.respondent
    key = (Answer.respondent_id == respondent.id, Answer.question_id == question_id)
    if question_id in conv.answers:
        conv.session.execute(update(Answer).where(*key).values(value=value))
    else:
        conv.session.execute(
            insert(Answer).values(respondent_id=respondent.id, question_id=question_id, value=value)
        )
    conv.answers[question_id] = value
    for hidden in hidden_answers(conv.questionnaire, conv.answers):
        conv.session.execute(
            delete(Answer).where(
                Answer.respondent_id == respondent.id, Answer.question_id == hidden
            )
        )
        del conv.answers[hidden]
    respondent.updated_on = conv.now.date()
    reminders.record_progress(conv.session, conv.contact, conv.campaign, conv.now)


def record_and_advance(conv: Conversation, value: str, note: Text | None = None) -> list[Reply]:
    """`value` as the answer to the current question, then the next question."""
    question = conv.questionnaire.question(conv.respondent.position)
    store(conv, question.id, value)
    conv.respondent.draft = None
    return [recorded(conv.questionnaire, question, value, conv.language), *advance(conv, note)]


def advance(conv: Conversation, note: Text | None = None) -> list[Reply]:
    following = first_unanswered(conv.questionnaire, conv.answers)
    if following is None:
        return complete(conv, note)
    conv.respondent.position = following
    return [ask_current(conv, note)]

"""Answering: a button pressed, a choice toggled, text typed, a question skipped, going back.

Each handler checks the press against the conversation's state before anything is recorded: a
press of another question's button changes an earlier answer (where the questionnaire allows
going back), repeats the answer just given (silent), or gets a short notice with the current
question (the decisions are listed in the engine's module docstring).
"""

from __future__ import annotations

from survey.engine import events as ev
from survey.engine import messages
from survey.engine.answers import join_choices, parse_typed
from survey.engine.consenting import typed_language
from survey.engine.conversation import Conversation
from survey.engine.flow import SKIPPED, Stage, first_unanswered, previous_question
from survey.engine.flow import shown_questions as shown
from survey.engine.prompts import ask_current, prompt
from survey.engine.questions import recorded
from survey.engine.recording import advance, record_and_advance, store
from survey.engine.replies import Reply
from survey.i18n import Text
from survey.questionnaire import MULTIPLE_CHOICE_SEPARATOR, QuestionType


def _answering(conv: Conversation) -> bool:
    """Answers are taken while answering; a pending confirmation is dropped by answering."""
    if conv.contact.stage in (Stage.CONFIRM_STOP, Stage.CONFIRM_DELETE):
        conv.contact.stage = Stage.ANSWERING
    return conv.contact.stage == Stage.ANSWERING


def _expired(conv: Conversation) -> list[Reply]:
    return [ask_current(conv, Text(messages.BUTTON_EXPIRED))]


def answer(conv: Conversation, event: ev.Answer) -> list[Reply]:
    if not _answering(conv):
        return [prompt(conv)]
    q = conv.questionnaire
    if not q.has_question(event.question_id):
        return _expired(conv)
    question = q.question(event.question_id)
    value = event.value
    if question.type is QuestionType.MULTIPLE_CHOICE:
        # The whole choice at once (a web form's checkboxes), codes separated by ";".
        chosen = set(value.split(MULTIPLE_CHOICE_SEPARATOR)) - {""}
        if not chosen <= set(question.codes):
            return _expired(conv)
        if not chosen:
            return [ask_current(conv, Text(messages.CHOOSE_AT_LEAST_ONE))]
        if question.max_choices and len(chosen) > question.max_choices:
            count = {"count": question.max_choices}
            return [ask_current(conv, Text(messages.CHOOSE_AT_MOST, count))]
        value = join_choices(question, chosen)
    elif value not in question.codes:
        return _expired(conv)
    if question.id == conv.respondent.position:
        return record_and_advance(conv, value)
    if question.id in conv.answers:
        return _change_earlier(conv, question.id, value)
    return _expired(conv)


def _change_earlier(conv: Conversation, question_id: str, value: str) -> list[Reply]:
    """A new answer to a question answered before: the position stays, unless the change
    reveals a question not yet asked before it, which then comes next."""
    q = conv.questionnaire
    if conv.answers[question_id] == value:
        return _not_current(conv, question_id, repeat=True)
    if not q.allow_back:
        return [ask_current(conv, Text(messages.QUESTION_CLOSED))]
    store(conv, question_id, value)
    replies = [recorded(q, q.question(question_id), value, conv.language)]
    position = conv.respondent.position
    following = first_unanswered(q, conv.answers)
    shown_ids = [question.id for question in shown(q, conv.answers)]
    if position not in shown_ids or (
        following is not None and shown_ids.index(following) < shown_ids.index(position)
    ):
        return replies + advance(conv)
    return replies


def toggle(conv: Conversation, event: ev.Toggle) -> list[Reply]:
    if not _answering(conv):
        return [prompt(conv)]
    question_id = conv.respondent.position
    if event.question_id != question_id:
        return _not_current(conv, event.question_id)
    question = conv.questionnaire.question(question_id)
    if question.type is not QuestionType.MULTIPLE_CHOICE or event.value not in question.codes:
        return _expired(conv)
    start = _selection(conv, question_id)
    chosen = set(filter(None, start.split(MULTIPLE_CHOICE_SEPARATOR)))
    chosen ^= {event.value}
    if question.max_choices and len(chosen) > question.max_choices:
        return [ask_current(conv, Text(messages.CHOOSE_AT_MOST, {"count": question.max_choices}))]
    conv.respondent.draft = join_choices(question, chosen)
    return [ask_current(conv)]


def _not_current(conv: Conversation, question_id: str, repeat: bool = False) -> list[Reply]:
    """A press on a question other than the current one that changes nothing: silent when it
    `repeat`s the answer just given (a double tap, a redelivered update), else a notice with
    the current question (an old card's button, or a stale one)."""
    if question_id not in conv.answers:
        return _expired(conv)
    position = conv.respondent.position
    if repeat and previous_question(conv.questionnaire, conv.answers, position) == question_id:
        return []
    return [ask_current(conv, Text(messages.ALREADY_ANSWERED))]


def _selection(conv: Conversation, question_id: str) -> str:
    """The choices ticked so far in a multiple-choice question (or its stored answer)."""
    if conv.respondent.draft is not None:
        return conv.respondent.draft
    return conv.answers.get(question_id, "")


def done(conv: Conversation, event: ev.Done) -> list[Reply]:
    if not _answering(conv):
        return [prompt(conv)]
    if event.question_id != conv.respondent.position:
        return _not_current(conv, event.question_id, repeat=True)
    draft = _selection(conv, event.question_id)
    if not draft:
        return [ask_current(conv, Text(messages.CHOOSE_AT_LEAST_ONE))]
    return record_and_advance(conv, draft)


def typed(conv: Conversation, event: ev.Typed) -> list[Reply]:
    stage = conv.contact.stage
    if stage == Stage.LANGUAGE:
        return typed_language(conv, event.text)
    if stage != Stage.ANSWERING:
        return [prompt(conv, Text(messages.PRESS_A_BUTTON))]
    position = conv.respondent.position
    if event.question_id is not None and event.question_id != position:
        return _typed_earlier(conv, event)
    question = conv.questionnaire.question(position)
    parsed = parse_typed(conv.questionnaire, question, event.text, conv.language)
    if parsed.problem is not None:
        return [ask_current(conv, parsed.problem)]
    return record_and_advance(conv, parsed.value, note=parsed.note)


def _typed_earlier(conv: Conversation, event: ev.Typed) -> list[Reply]:
    """Text for a question other than the current one (a web page sent twice, or an old
    page): changes that answer like its button would, or nothing if it repeats it."""
    qid = event.question_id
    if not conv.questionnaire.has_question(qid) or qid not in conv.answers:
        return _expired(conv)
    question = conv.questionnaire.question(qid)
    parsed = parse_typed(conv.questionnaire, question, event.text, conv.language)
    if parsed.problem is not None:
        return [ask_current(conv, Text(messages.ALREADY_ANSWERED))]
    return _change_earlier(conv, qid, parsed.value)


def skip(conv: Conversation, event: ev.Skip) -> list[Reply]:
    if not _answering(conv):
        return [prompt(conv)]
    if event.question_id != conv.respondent.position:
        repeat = conv.answers.get(event.question_id) == SKIPPED
        return _not_current(conv, event.question_id, repeat=repeat)
    if conv.questionnaire.question(event.question_id).required:
        return [ask_current(conv, Text(messages.CANNOT_SKIP))]
    return record_and_advance(conv, SKIPPED)


def back(conv: Conversation, event: ev.Back) -> list[Reply]:
    if not _answering(conv):
        return [prompt(conv)]
    if not conv.questionnaire.allow_back:
        return [ask_current(conv, Text(messages.NO_GOING_BACK))]
    previous = previous_question(conv.questionnaire, conv.answers, conv.respondent.position)
    if previous is None:
        return [ask_current(conv, Text(messages.FIRST_QUESTION))]
    conv.respondent.position = previous
    conv.respondent.draft = None
    return [ask_current(conv)]

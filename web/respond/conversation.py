"""The conversation engine behind the respondent pages, shared by the web survey (`views`) and
the Mini App (`miniapp`): one engine per app, its turn in a transaction of its own, and a posted
form read as the event it stands for."""

from __future__ import annotations

from flask import current_app, request

from survey.engine import ConversationEngine, Reply, messages
from survey.engine import events as ev
from survey.engine.inputs import event_for_button_data
from survey.i18n import Text
from survey.questionnaire import MULTIPLE_CHOICE_SEPARATOR, Questionnaire, QuestionType
from web.respond import texts
from web.state import app_state, db_session

ENGINE_KEY = "cips_respond_engine"


def engine() -> ConversationEngine:
    state = app_state()
    if ENGINE_KEY not in current_app.extensions:
        current_app.extensions[ENGINE_KEY] = ConversationEngine(
            state.db,
            state.questionnaires,
            state.settings.secret_key,
            min_cell=state.settings.min_cell,
        )
    return current_app.extensions[ENGINE_KEY]


def handle(event: ev.Event) -> list[Reply]:
    """The engine's turn, in its own transaction: the request's session lets go of the database
    first (on SQLite every transaction holds the write lock). It ends its read-only transaction
    with a commit, which (unlike a rollback) keeps what it loaded (`expire_on_commit=False`)."""
    db_session().commit()
    return engine().handle(event)


def event_for_form(
    sender: ev.Sender, questionnaire: Questionnaire
) -> tuple[ev.Event | None, Text | None, str]:
    """The event the form stands for, or a problem to show without calling the engine (the
    typed text kept so that nothing typed is lost)."""
    form = request.form
    if data := form.get("b"):
        return event_for_button_data(sender, data), None, ""
    nav = {"back": ev.Back, "stop": ev.Stop, "delete": ev.Delete}.get(form.get("nav", ""))
    if nav is not None:
        return nav(sender), None, ""
    qid = form.get("q", "")
    if not questionnaire.has_question(qid):
        return None, None, ""
    question = questionnaire.question(qid)
    if question.type is QuestionType.MULTIPLE_CHOICE:
        chosen = form.getlist("value")
        if not chosen:
            return None, Text(messages.CHOOSE_AT_LEAST_ONE), ""
        return ev.Answer(sender, qid, MULTIPLE_CHOICE_SEPARATOR.join(chosen)), None, ""
    if question.type in (QuestionType.NUMBER, QuestionType.TEXT):
        text = form.get("text", "")
        if question.type is QuestionType.TEXT and len(text.strip()) > question.max_length:
            args = {"length": len(text.strip()), "count": question.max_length}
            return None, Text(texts.TOO_LONG, args), text
        return ev.Typed(sender, text, question_id=qid), None, ""
    value = form.get("value")
    if not value:
        return None, Text(texts.CHOOSE_ONE), ""
    return ev.Answer(sender, qid, value), None, ""

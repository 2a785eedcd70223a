"""Building the reply that asks a question: its text, progress and answer buttons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from survey.engine import messages
from survey.engine.answers import answer_label, number_prompt, option_label
from survey.engine.flow import SKIPPED, progress
from survey.engine.replies import Action, Button, Reply, ReplyKind
from survey.i18n import Text
from survey.questionnaire import (
    AGREEMENT_SCALE,
    DONT_KNOW,
    MULTIPLE_CHOICE_SEPARATOR,
    PREFER_NOT_TO_ANSWER,
    Question,
    Questionnaire,
    QuestionType,
)


def question_text(questionnaire: Questionnaire, question: Question) -> Text:
    return Text(question.text, context=f"{questionnaire.id}:{question.id}")


def title_text(questionnaire: Questionnaire) -> Text:
    """The questionnaire's title, as the catalogs hold it (`<id>:title`)."""
    return Text(questionnaire.title, context=f"{questionnaire.id}:title")


def _buttons(questionnaire: Questionnaire, question: Question, current: str | None) -> list[Button]:
    qid = question.id
    if question.type is QuestionType.AGREEMENT:
        scale = [
            Button(option_label(questionnaire, question, c), Action.ANSWER, c, qid, row="scale")
            for c in AGREEMENT_SCALE
        ]
        other = [
            Button(option_label(questionnaire, question, c), Action.ANSWER, c, qid, row="other")
            for c in (DONT_KNOW, PREFER_NOT_TO_ANSWER)
        ]
        buttons = scale + other
    elif question.type is QuestionType.SINGLE_CHOICE:
        buttons = [
            Button(option_label(questionnaire, question, c.code), Action.ANSWER, c.code, qid)
            for c in question.choices
        ]
    elif question.type is QuestionType.MULTIPLE_CHOICE:
        chosen = set((current or "").split(MULTIPLE_CHOICE_SEPARATOR))
        buttons = [
            Button(
                option_label(questionnaire, question, c.code),
                Action.TOGGLE,
                c.code,
                qid,
                selected=c.code in chosen,
            )
            for c in question.choices
        ]
        buttons.append(Button(Text(messages.DONE), Action.DONE, "", qid, row="nav"))
    else:
        buttons = []
    if not question.required:
        buttons.append(Button(Text(messages.SKIP), Action.SKIP, "", qid, row="nav"))
    return buttons


def _hint(question: Question) -> Text | None:
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return Text(messages.CHOOSE_SEVERAL)
    if question.type is QuestionType.NUMBER:
        return number_prompt(question)
    if question.type is QuestionType.TEXT:
        return Text(messages.TYPE_TEXT, {"count": question.max_length})
    return None


def ask(
    questionnaire: Questionnaire,
    question: Question,
    answers: Mapping[str, str],
    language: str,
    note: Text | None = None,
    *,
    shown: Sequence[Question] | None = None,
) -> Reply:
    """The question, with `note` first (an explanation), and the current answer if going back.

    `shown`: the questions shown for these answers, when the caller has them already.
    """
    parts: list[Text] = [note] if note else []
    parts.append(question_text(questionnaire, question))
    if (hint := _hint(question)) is not None:
        parts.append(hint)
    current = answers.get(question.id)
    if current not in (None, SKIPPED) and question.type is not QuestionType.MULTIPLE_CHOICE:
        parts.append(
            Text(
                messages.CURRENT_ANSWER, {"answer": answer_label(questionnaire, question, current)}
            )
        )
    return Reply(
        kind=ReplyKind.QUESTION,
        parts=tuple(parts),
        buttons=tuple(_buttons(questionnaire, question, current)),
        question_id=question.id,
        progress=progress(questionnaire, answers, question.id, shown),
        language=language,
    )


def recorded(questionnaire: Questionnaire, question: Question, value: str, language: str) -> Reply:
    """The answered question as it should now read: the choice shown, no buttons."""
    return Reply(
        kind=ReplyKind.ANSWER_RECORDED,
        parts=(
            question_text(questionnaire, question),
            Text(messages.CHOSEN, {"answer": answer_label(questionnaire, question, value)}),
        ),
        question_id=question.id,
        language=language,
    )

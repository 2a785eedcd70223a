"""Where a respondent is: the conversation's stage, which questions are shown, which comes next,
how far along they are.

Pure functions of the questionnaire and the answers so far. The rule is simple: the next question
is always the first shown question that has no answer yet (a skipped question holds the empty
answer), so that after going back and changing an answer, the respondent returns to where they
were, and a question that a changed answer reveals is asked next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from survey.questionnaire import Question, Questionnaire

SKIPPED = ""


class Stage:
    """Where a conversation stands, stored on the contact."""

    LANGUAGE = "language"
    CONSENT = "consent"
    ANSWERING = "answering"
    CONFIRM_STOP = "confirm_stop"
    CONFIRM_DELETE = "confirm_delete"


def shown_questions(questionnaire: Questionnaire, answers: Mapping[str, str]) -> list[Question]:
    """The questions asked for these answers, in order (a hidden question's answer is ignored)."""
    if not questionnaire.has_skip_logic:
        return list(questionnaire.questions)
    shown: list[Question] = []
    effective: dict[str, str] = {}
    for question in questionnaire.questions:
        if not question.show_if or question.is_shown(effective):
            shown.append(question)
            if question.id in answers and answers[question.id] != SKIPPED:
                effective[question.id] = answers[question.id]
    return shown


def first_unanswered(questionnaire: Questionnaire, answers: Mapping[str, str]) -> str | None:
    """The next question to ask, or None when the response is complete."""
    for question in shown_questions(questionnaire, answers):
        if question.id not in answers:
            return question.id
    return None


def hidden_answers(questionnaire: Questionnaire, answers: Mapping[str, str]) -> list[str]:
    """Answers to questions that the other answers now hide (to be removed)."""
    shown = {q.id for q in shown_questions(questionnaire, answers)}
    return [qid for qid in answers if qid not in shown]


def previous_question(
    questionnaire: Questionnaire, answers: Mapping[str, str], position: str | None
) -> str | None:
    """The shown question before `position` (before the end when `position` is None)."""
    ids = [q.id for q in shown_questions(questionnaire, answers)]
    if position is None:
        return ids[-1] if ids else None
    index = ids.index(position) if position in ids else len(ids)
    return ids[index - 1] if index > 0 else None


def progress(
    questionnaire: Questionnaire,
    answers: Mapping[str, str],
    position: str,
    shown: Sequence[Question] | None = None,
) -> tuple[int, int]:
    """(number of the current question, number of questions) among those shown (`shown`, if
    the caller has them)."""
    if shown is None:
        shown = shown_questions(questionnaire, answers)
    number = next(i for i, q in enumerate(shown, 1) if q.id == position)
    return number, len(shown)

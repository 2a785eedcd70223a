"""Where a respondent is: the conversation's stage, which questions are shown, which comes next,
how far along they are.

Pure functions of the questionnaire and the answers so far. The rule is simple: the next question
is always the first shown question that has no answer yet (a skipped question holds the empty
answer), so that after going back and changing an answer, the respondent returns to where they
were, and a question that a changed answer reveals is asked next.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations, pairwise

from survey.engine.answers import format_number
from survey.questionnaire import (
    MULTIPLE_CHOICE_SEPARATOR,
    Condition,
    Question,
    Questionnaire,
    QuestionType,
)

SKIPPED = ""
MEMO_SIZE = 100_000


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
    """(n, N): the current question's number, and the most questions this response can have.

    n counts the shown questions up to `position`. N is the shown questions before `position`
    plus the longest path still possible from `position` on, over every way of answering (or
    skipping) the questions from there (so answers after `position`, when going back, count as
    still open). Each answer fixes one more value, so as a respondent goes forward n grows by one
    and N never grows; on a question that no other can follow, n == N. Every channel shows this
    figure.
    (`shown`: the questions shown for these answers, if the caller has them.)
    """
    if shown is None:
        shown = shown_questions(questionnaire, answers)
    before = next(i for i, q in enumerate(shown) if q.id == position)
    fixed = {
        q.id: answers[q.id] for q in shown[:before] if q.id in answers and answers[q.id] != SKIPPED
    }
    return before + 1, before + _paths(questionnaire).longest(position, fixed)


class _Paths:
    """The longest path through a questionnaire from a question on, given the answers before it.

    A walk over the questions in order that branches, at each shown question that a later
    `show_if` refers to, on one value of each kind those conditions can tell apart (and on no
    answer, where the question may be skipped); the state carried is only the answers that later
    conditions still read, so the walk stays small, and it is remembered per questionnaire.
    """

    def __init__(self, questionnaire: Questionnaire):
        self.questions = questionnaire.questions
        self.index = {q.id: i for i, q in enumerate(self.questions)}
        conditions: dict[str, list[Condition]] = {}
        # read[i]: the questions whose answers the conditions of questions i.. still read.
        self.read: list[frozenset[str]] = [frozenset()] * (len(self.questions) + 1)
        for i in range(len(self.questions) - 1, -1, -1):
            targets = {c.question for c in self.questions[i].show_if}
            self.read[i] = self.read[i + 1] | targets
            for condition in self.questions[i].show_if:
                conditions.setdefault(condition.question, []).append(condition)
        self.values = {
            qid: _telling_values(self.questions[self.index[qid]], found)
            for qid, found in conditions.items()
        }
        self.memo: dict[tuple[int, tuple[tuple[str, str], ...]], int] = {}

    def longest(self, position: str, fixed: Mapping[str, str]) -> int:
        return self._walk(self.index[position], fixed)

    def _walk(self, i: int, answers: Mapping[str, str]) -> int:
        if i == len(self.questions):
            return 0
        key = (i, tuple(sorted((k, v) for k, v in answers.items() if k in self.read[i])))
        if (known := self.memo.get(key)) is not None:
            return known
        question = self.questions[i]
        state = dict(key[1])
        if question.show_if and not question.is_shown(state):
            length = self._walk(i + 1, state)
        elif question.id not in self.read[i + 1]:
            length = 1 + self._walk(i + 1, state)
        else:
            length = 1 + max(
                self._walk(i + 1, state if value is None else {**state, question.id: value})
                for value in self.values[question.id]
            )
        if len(self.memo) >= MEMO_SIZE:
            self.memo.clear()  # many different numbers typed, say: start again rather than grow
        self.memo[key] = length
        return length


def _paths(questionnaire: Questionnaire) -> _Paths:
    """The questionnaire's `_Paths`, kept on it (as `functools.cached_property` keeps values)."""
    paths = questionnaire.__dict__.get("_paths")
    if paths is None:
        paths = questionnaire.__dict__["_paths"] = _Paths(questionnaire)
    return paths


def _telling_values(question: Question, conditions: Sequence[Condition]) -> list[str | None]:
    """One answer of each kind that `conditions` can tell apart (None: no answer, a skip)."""
    values: list[str | None] = [] if question.required else [None]
    mentioned = sorted(
        {code for c in conditions for code in (c.in_ or frozenset()) | (c.not_in or frozenset())}
    )
    if question.type is QuestionType.MULTIPLE_CHOICE:
        named = [code for code in question.codes if code in mentioned]
        others = [code for code in question.codes if code not in mentioned][:1]
        pool = named + others
        limit = question.max_choices or len(pool)
        for size in range(1, min(limit, len(pool)) + 1):
            values += [MULTIPLE_CHOICE_SEPARATOR.join(c) for c in combinations(pool, size)]
        return values
    if question.codes:
        return values + list(question.codes)
    if question.type is QuestionType.NUMBER:
        numbers = {format_number(x) for x in _number_regions(question, conditions)}
        return values + sorted(numbers | set(mentioned))
    return values + mentioned + ["\x00"]  # and a text that no condition names


def _number_regions(question: Question, conditions: Sequence[Condition]) -> list[float]:
    """A number in each stretch of the question's range where the conditions' tests agree."""
    low, high = question.min, question.max
    bounds = {b for c in conditions for b in (c.min, c.max) if b is not None and low <= b <= high}
    points = sorted(bounds | {low, high})
    found = set(points)
    found |= {(a + b) / 2 for a, b in pairwise(points)}
    if question.integer:
        found = {f(x) for x in found for f in (math.floor, math.ceil)}
        found = {x for x in found if low <= x <= high}
        found |= {math.floor(a) + 1 for a, b in pairwise(points) if math.floor(a) + 1 < b}
    return sorted(found)

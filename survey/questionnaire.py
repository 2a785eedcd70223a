"""The questionnaire model: questions, their types, skip logic and constructs (read-only data).

Questionnaires are written as TOML files (see `questionnaires/FORMAT.md`) and turned into these
objects by `survey.loader`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from survey.factors import FACTOR_BY_NUMBER


class QuestionType(StrEnum):
    AGREEMENT = "agreement"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    NUMBER = "number"
    TEXT = "text"


class Survey(StrEnum):
    OFFICIALS = "officials"
    PRIVATE_SECTOR = "private_sector"
    OTHER = "other"


AGREEMENT_SCALE = ("1", "2", "3", "4", "5")
DONT_KNOW = "DK"
PREFER_NOT_TO_ANSWER = "PNA"
AGREEMENT_CODES = (*AGREEMENT_SCALE, DONT_KNOW, PREFER_NOT_TO_ANSWER)
MULTIPLE_CHOICE_SEPARATOR = ";"


@dataclass(frozen=True)
class Choice:
    code: str
    label: str


@dataclass(frozen=True)
class Condition:
    """One test on an earlier answer: `in`/`not_in` a set of codes, or within `min`..`max`."""

    question: str
    in_: frozenset[str] | None = None
    not_in: frozenset[str] | None = None
    min: float | None = None
    max: float | None = None

    def holds(self, answers: Mapping[str, str]) -> bool:
        value = answers.get(self.question)
        if value is None:
            return self.not_in is not None
        codes = set(value.split(MULTIPLE_CHOICE_SEPARATOR))
        if self.in_ is not None:
            return bool(codes & self.in_)
        if self.not_in is not None:
            return not codes & self.not_in
        try:
            number = float(value)
        except ValueError:
            return False
        return (self.min is None or number >= self.min) and (self.max is None or number <= self.max)


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: str
    demographic: bool = False
    required: bool = True
    factor: int | None = None
    reverse: bool = False
    link: str | None = None
    choices: tuple[Choice, ...] = ()
    max_choices: int | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = True
    max_length: int = 1000
    show_if: tuple[Condition, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """The answer codes a button can carry (empty for number and text questions)."""
        if self.type is QuestionType.AGREEMENT:
            return AGREEMENT_CODES
        return tuple(c.code for c in self.choices)

    @property
    def scored(self) -> bool:
        return self.type is QuestionType.AGREEMENT and self.factor is not None

    def is_shown(self, answers: Mapping[str, str]) -> bool:
        return all(condition.holds(answers) for condition in self.show_if)


@dataclass(frozen=True)
class Construct:
    id: str
    name: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    survey: Survey
    title: str
    source_language: str
    demographics: tuple[Question, ...]
    items: tuple[Question, ...]
    constructs: tuple[Construct, ...] = ()
    counterpart: str | None = None
    allow_back: bool = True
    path: Path | None = field(default=None, compare=False)

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        """Every question in the order it is asked: demographics, then items."""
        return self.demographics + self.items

    def question(self, question_id: str) -> Question:
        return self._index[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._index

    @cached_property
    def _index(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    @cached_property
    def has_skip_logic(self) -> bool:
        return any(q.show_if for q in self.questions)

    @property
    def scored_items(self) -> tuple[Question, ...]:
        return tuple(q for q in self.items if q.scored)


def condition_as_dict(condition: Condition) -> dict:
    test = {"in": condition.in_, "not_in": condition.not_in}
    out: dict = {"question": condition.question}
    out.update({k: sorted(v) for k, v in test.items() if v is not None})
    out.update(
        {k: getattr(condition, k) for k in ("min", "max") if getattr(condition, k) is not None}
    )
    return out


def questionnaire_as_dict(questionnaire: Questionnaire) -> dict:
    """A JSON-ready description: every question with its factor, type, flags, link, constructs."""
    constructs_of: dict[str, list[str]] = {}
    for construct in questionnaire.constructs:
        for item_id in construct.items:
            constructs_of.setdefault(item_id, []).append(construct.id)

    def question(q: Question) -> dict:
        out = {
            "id": q.id,
            "type": str(q.type),
            "text": q.text,
            "factor": q.factor,
            "factor_name": FACTOR_BY_NUMBER[q.factor].name if q.factor else None,
            "reverse": q.reverse,
            "link": q.link,
            "required": q.required,
            "constructs": constructs_of.get(q.id, []),
            "show_if": [condition_as_dict(c) for c in q.show_if],
        }
        if q.choices:
            out["choices"] = [{"code": c.code, "label": c.label} for c in q.choices]
        if q.type is QuestionType.NUMBER:
            out.update(min=q.min, max=q.max, integer=q.integer)
        if q.type is QuestionType.TEXT:
            out["max_length"] = q.max_length
        return out

    return {
        "id": questionnaire.id,
        "version": questionnaire.version,
        "survey": str(questionnaire.survey),
        "title": questionnaire.title,
        "source_language": questionnaire.source_language,
        "counterpart": questionnaire.counterpart,
        "allow_back": questionnaire.allow_back,
        "demographics": [question(q) for q in questionnaire.demographics],
        "items": [question(q) for q in questionnaire.items],
        "constructs": [
            {"id": c.id, "name": c.name, "items": list(c.items)} for c in questionnaire.constructs
        ],
    }

"""The checks of the question lists (demographics and items): each question, its choices, its bounds.

Each question is checked against the keys its type allows; its skip logic is checked by
`survey.loader.skip_logic` against the questions before it.
"""

from __future__ import annotations

import re
from typing import Any

from survey.factors import FACTOR_BY_NUMBER
from survey.loader.errors import ErrorReport
from survey.loader.skip_logic import check_conditions
from survey.questionnaire import Choice, Question, QuestionType

QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CHOICE_CODE = re.compile(r"^[a-z0-9_]{1,24}$")  # fits Telegram's 64-byte callback_data
MAX_TEXT_LENGTH = 4000
MAX_STATEMENT_LENGTH = 1000

QUESTION_KEYS = {
    "id", "type", "text", "required", "factor", "reverse", "link", "choices", "max_choices",
    "min", "max", "integer", "max_length", "show_if",
}  # fmt: skip
KEYS_BY_TYPE = {
    QuestionType.AGREEMENT: {"factor", "reverse", "link"},
    QuestionType.SINGLE_CHOICE: {"choices", "factor"},
    QuestionType.MULTIPLE_CHOICE: {"choices", "max_choices", "factor"},
    QuestionType.NUMBER: {"min", "max", "integer", "factor"},
    QuestionType.TEXT: {"max_length"},
}
COMMON_KEYS = {"id", "type", "text", "required", "show_if"}


def check_questions(
    report: ErrorReport, raw: Any, section: str, seen: dict[str, Question]
) -> tuple[Question, ...]:
    """The questions of one section; each sound one is added to `seen`, in order."""
    if not isinstance(raw, list):
        report.error(section, "must be a list of tables ([[...]])")
        return ()
    questions = []
    for number, entry in enumerate(raw, start=1):
        where = f"{section}[{number}]"
        if not isinstance(entry, dict):
            report.error(where, "must be a table")
            continue
        if isinstance(entry.get("id"), str):
            where = f"question '{entry['id']}'"
        question = _question(report, entry, where, section == "demographics", seen)
        if question is not None:
            if question.id in seen:
                report.error(where, "duplicate id")
                continue
            seen[question.id] = question
            questions.append(question)
    return tuple(questions)


def _question(
    report: ErrorReport,
    entry: dict[str, Any],
    where: str,
    demographic: bool,
    seen: dict[str, Question],
) -> Question | None:
    errors_before = len(report.errors)
    qid = entry.get("id")
    if not isinstance(qid, str) or not QUESTION_ID.match(qid):
        report.error(where, f"missing or malformed id {qid!r} (a-z, 0-9, _; at most 32)")
    try:
        qtype = QuestionType(entry.get("type"))
    except ValueError:
        report.error(where, f"unknown type {entry.get('type')!r}")
        return None
    allowed = COMMON_KEYS | KEYS_BY_TYPE[qtype]
    for key in sorted(set(entry) - QUESTION_KEYS):
        report.error(where, f"unknown key '{key}'")
    for key in sorted((set(entry) & QUESTION_KEYS) - allowed):
        report.error(where, f"'{key}' does not apply to a {qtype} question")
    text = entry.get("text")
    if not isinstance(text, str) or not text.strip():
        report.error(where, "missing text")
    elif len(text) > MAX_STATEMENT_LENGTH:
        report.error(where, f"text longer than {MAX_STATEMENT_LENGTH} characters")

    factor = entry.get("factor")
    if factor is not None and (not isinstance(factor, int) or factor not in FACTOR_BY_NUMBER):
        report.error(where, f"unknown factor {factor!r} (key factors are 1-10)")
    if qtype is QuestionType.AGREEMENT and factor is None and not demographic:
        report.error(where, "an agreement item needs a key factor (1-10)")
    choices = _choices(report, entry, qtype, where)
    bounds = _bounds(report, entry, qtype, where)
    max_length = entry.get("max_length", 1000)
    if not isinstance(max_length, int) or not 1 <= max_length <= MAX_TEXT_LENGTH:
        report.error(where, f"max_length must be 1-{MAX_TEXT_LENGTH}")
    max_choices = entry.get("max_choices")
    if max_choices is not None and (
        not isinstance(max_choices, int) or not 1 <= max_choices <= len(choices)
    ):
        report.error(where, "max_choices must be between 1 and the number of choices")
    show_if = check_conditions(report, entry.get("show_if"), qid, where, seen)
    for flag in ("required", "reverse", "integer"):
        if flag in entry and not isinstance(entry[flag], bool):
            report.error(where, f"'{flag}' must be true or false")
    link = entry.get("link")
    if link is not None and (not isinstance(link, str) or not QUESTION_ID.match(link)):
        report.error(where, f"malformed link {link!r}")
    if len(report.errors) > errors_before:
        return None
    return Question(
        id=qid,
        type=qtype,
        text=text,
        demographic=demographic,
        required=entry.get("required", True),
        factor=factor,
        reverse=entry.get("reverse", False),
        link=link,
        choices=choices,
        max_choices=max_choices,
        min=bounds[0],
        max=bounds[1],
        integer=entry.get("integer", True),
        max_length=max_length,
        show_if=show_if,
    )


def _choices(
    report: ErrorReport, entry: dict[str, Any], qtype: QuestionType, where: str
) -> tuple[Choice, ...]:
    if qtype not in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        return ()
    raw = entry.get("choices")
    if not isinstance(raw, list) or not raw:
        report.error(where, "empty choice list")
        return ()
    choices: list[Choice] = []
    for choice in raw:
        if not isinstance(choice, dict) or set(choice) != {"code", "label"}:
            report.error(where, f"a choice must be {{ code = ..., label = ... }}, got {choice!r}")
            continue
        code, label = choice["code"], choice["label"]
        if not isinstance(code, str) or not CHOICE_CODE.match(code):
            report.error(where, f"malformed choice code {code!r}")
        elif any(c.code == code for c in choices):
            report.error(where, f"duplicate choice code '{code}'")
        elif not isinstance(label, str) or not label.strip():
            report.error(where, f"choice '{code}' has no label")
        else:
            choices.append(Choice(code, label))
    return tuple(choices)


def _bounds(
    report: ErrorReport, entry: dict[str, Any], qtype: QuestionType, where: str
) -> tuple[float | None, float | None]:
    if qtype is not QuestionType.NUMBER:
        return None, None
    low, high = entry.get("min"), entry.get("max")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
        report.error(where, "a number question needs numeric 'min' and 'max'")
        return None, None
    if low >= high:
        report.error(where, f"min ({low}) must be below max ({high})")
    return low, high

"""Turning what a respondent pressed or typed into a stored answer, or a reason to ask again."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from survey.engine import messages
from survey.i18n import Text, render, verbatim
from survey.questionnaire import (
    AGREEMENT_CODES,
    MULTIPLE_CHOICE_SEPARATOR,
    Question,
    Questionnaire,
    QuestionType,
)

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


@dataclass(frozen=True)
class Parsed:
    """An answer value, or the reason it cannot be taken, and any note to show with it."""

    value: str | None = None
    problem: Text | None = None
    note: Text | None = None


def option_label(questionnaire: Questionnaire, question: Question, code: str) -> Text:
    if question.type is QuestionType.AGREEMENT:
        return Text(messages.SCALE_LABELS[code])
    label = next(c.label for c in question.choices if c.code == code)
    return Text(label, context=f"{questionnaire.id}:{question.id}:{code}")


def answer_label(questionnaire: Questionnaire, question: Question, value: str) -> Text:
    """How an answer is shown back to the respondent."""
    if question.type in (QuestionType.NUMBER, QuestionType.TEXT) or value == "":
        return verbatim(value or "–")
    codes = value.split(MULTIPLE_CHOICE_SEPARATOR)
    if len(codes) == 1:
        return option_label(questionnaire, question, codes[0])
    parts = {f"c{i}": option_label(questionnaire, question, c) for i, c in enumerate(codes)}
    return Text(", ".join(f"{{c{i}}}" for i in range(len(codes))), parts, translate=False)


# Typed the way phones and keyboards type them: curly quotes and apostrophes, primes and
# accents for apostrophes, Arabic-Indic and Persian digits, the Arabic decimal point and comma.
TYPED = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u00b4\u0060", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb", '"'),
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
        "\u066b": ".",  # Arabic decimal separator
        "\u060c": ",",  # Arabic comma
        "\u061b": ";",  # Arabic semicolon
    }
)
SPACES = re.compile(r"\s+")


def normalize_typed(text: str) -> str:
    """Typed text as it is compared: NFKC, straight quotes, ASCII digits, single spaces, trimmed
    (case is kept: `_fold` drops it for matching)."""
    text = unicodedata.normalize("NFKC", text).translate(TYPED)
    return SPACES.sub(" ", text).strip()


def _fold(text: str) -> str:
    """For matching an option: normalized, without case, enclosing quotes or a final . or !"""
    return normalize_typed(text).casefold().strip('"').rstrip(".!").strip()


def clean_text(text: str) -> str:
    """Trimmed, without control or direction-override characters."""
    return CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


def parse_typed(
    questionnaire: Questionnaire, question: Question, text: str, language: str
) -> Parsed:
    """A typed answer, accepted only where it is unambiguous."""
    cleaned = clean_text(text)
    if not cleaned:
        return Parsed(problem=Text(messages.EMPTY_TEXT))
    if question.type is QuestionType.TEXT:
        if len(cleaned) > question.max_length:
            return Parsed(
                value=cleaned[: question.max_length].rstrip(),
                note=Text(messages.TEXT_CUT, {"count": question.max_length}),
            )
        return Parsed(value=cleaned)
    if question.type is QuestionType.NUMBER:
        return _parse_number(question, normalize_typed(cleaned))
    codes = list(question.codes)
    chosen = [_match_option(questionnaire, question, codes, part, language)
              for part in _split_choices(question, normalize_typed(cleaned))]  # fmt: skip
    if not chosen or None in chosen:
        return Parsed(problem=typing_hint(questionnaire, question))
    if question.type is QuestionType.MULTIPLE_CHOICE:
        if question.max_choices and len(set(chosen)) > question.max_choices:
            return Parsed(problem=Text(messages.CHOOSE_AT_MOST, {"count": question.max_choices}))
        return Parsed(value=join_choices(question, set(chosen)))
    return Parsed(value=chosen[0])


def typing_hint(questionnaire: Questionnaire, question: Question) -> Text:
    """What to do when a typed answer matches no option, true to what the buttons show."""
    if question.type is QuestionType.AGREEMENT:
        low, high = (option_label(questionnaire, question, code) for code in ("1", "5"))
        return Text(messages.TYPE_SCALE, {"low": low, "high": high})
    return Text(messages.USE_BUTTONS)


def _split_choices(question: Question, text: str) -> list[str]:
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return [part for part in re.split(r"[,;]", text) if part.strip()]
    return [text]


def _match_option(
    questionnaire: Questionnaire, question: Question, codes: list[str], text: str, language: str
) -> str | None:
    """An option by its label in the respondent's language, or by its number as listed."""
    folded = _fold(text)
    for code in codes:
        if _fold(render(option_label(questionnaire, question, code), language)) == folded:
            return code
    if folded.isdigit():
        number = int(folded)
        substantive = (
            list(AGREEMENT_CODES[:5]) if question.type is QuestionType.AGREEMENT else codes
        )
        if 1 <= number <= len(substantive):
            return substantive[number - 1]
    return None


def number_prompt(question: Question) -> Text:
    """What a number question asks for: the kind of number and its bounds."""
    ask = messages.TYPE_WHOLE_NUMBER if question.integer else messages.TYPE_NUMBER
    return Text(ask, {"min": format_number(question.min), "max": format_number(question.max)})


def _parse_number(question: Question, text: str) -> Parsed:
    compact = text.replace(" ", "")
    if not NUMBER.match(compact):
        return Parsed(problem=number_prompt(question))
    number = float(compact.replace(",", "."))
    if (question.integer and not number.is_integer()) or not question.min <= number <= question.max:
        return Parsed(problem=number_prompt(question))
    return Parsed(value=format_number(number))


def format_number(number: float) -> str:
    """12.0 -> '12', 2.5 -> '2.5' (as stored and as shown)."""
    return str(int(number)) if float(number).is_integer() else str(number)


def join_choices(question: Question, chosen: set[str]) -> str:
    """Multiple-choice codes in the questionnaire's order."""
    return MULTIPLE_CHOICE_SEPARATOR.join(c for c in question.codes if c in chosen)

"""The variables of a respondent-level SPSS or Stata file, derived from a questionnaire: names,
labels in one language, numeric codes, value labels and missing codes.

One description serves the file writer (`analysis.statfiles`) and the codebook
(`analysis.codebook`), so that the codebook says exactly what the files hold:
- the fixed columns of the interchange format (SCORING.md), as text, except `completed` (0 No,
  1 Yes);
- an agreement item: 1-5 as on the scale (as answered: reverse coding is not applied, the
  codebook says which items are reverse), Don't know 8, Prefer not to answer 9;
- a single-choice question: its choices numbered 1, 2, ... in the questionnaire's order, except
  the choices coded `dk` (Don't know) and `pna` (Prefer not to say), which take the missing
  codes: 8 and 9, or 98 and 99 (998 and 999, ...) when the choices go past 7 (97, ...);
- a multiple-choice question: one 0/1 variable per choice, `<id>_<n>` (n its position);
- a number question: the number;
- a free-text question: none (free text leaves only detached: `cips export --free-text`);
- `straightliner`: 1 when the respondent gave one answer to every statement of each key factor
  (judged on two or more), 0 when not, blank when too few answers to tell (`analysis.quality`);
- `weight`, when the campaign has population margins (`cips weights set`): its raking weight.
A blank cell (not asked, not reached, skipped) is system-missing in SPSS and `.` in Stata; Don't
know and Prefer not to answer are user-missing in SPSS and `.a` and `.b` in Stata, labelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from analysis import labels
from analysis.frames import FIXED_COLUMNS
from analysis.quality import COLUMN as STRAIGHTLINER
from survey.engine.answers import option_label
from survey.engine.questions import question_text
from survey.i18n import render
from survey.questionnaire import (
    AGREEMENT_SCALE,
    DONT_KNOW,
    PREFER_NOT_TO_ANSWER,
    Question,
    Questionnaire,
    QuestionType,
)

#: Choice codes that stand for the two non-substantive answers on a choice question.
DONT_KNOW_CHOICES = frozenset({"dk"})
PREFER_NOT_CHOICES = frozenset({"pna"})
#: Stata's extended missing values for the two non-substantive answers.
STATA_MISSING = {DONT_KNOW: "a", PREFER_NOT_TO_ANSWER: "b"}
WEIGHT = "weight"

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
# Words SPSS or Stata do not take as variable names (compared in lower case).
_RESERVED = frozenset(
    {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
    | {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long",
       "_n", "_pi", "_pred", "_rc", "_skip", "strl", "using"}
)  # fmt: skip
_STATA_STR = re.compile(r"^str\d+$")


class Kind(StrEnum):
    TEXT = "text"  # a string variable
    CODED = "coded"  # numbers with value labels (and perhaps missing codes)
    CHOSEN = "chosen"  # 0/1: one choice of a multiple-choice question
    NUMBER = "number"  # a number, no labels


@dataclass(frozen=True)
class Variable:
    """One variable of the file. `codes` maps the interchange cell to its number (CODED);
    `missing` maps a missing number to DK or PNA; `choice` is the choice of a CHOSEN variable."""

    name: str
    column: str
    label: str
    kind: Kind
    measure: str  # SPSS's measurement level: nominal, ordinal or scale
    question: Question | None = None
    codes: dict[str, int] = field(default_factory=dict)
    value_labels: dict[int, str] = field(default_factory=dict)
    missing: dict[int, str] = field(default_factory=dict)
    choice: str | None = None


def valid_name(name: str) -> bool:
    """Whether SPSS and Stata both take `name` as a variable name."""
    lowered = name.lower()
    return bool(_NAME.match(name)) and lowered not in _RESERVED and not _STATA_STR.match(lowered)


def _name(wanted: str, taken: set[str]) -> str:
    """`wanted`, or the nearest valid name not taken (a reserved word gets a trailing `_`)."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", wanted)[:31] or "v"
    if not base[0].isalpha():
        base = "v" + base[:30]
    name, counter = base, 1
    while not valid_name(name) or name.lower() in taken:
        suffix = "_" if counter == 1 else f"_{counter}"
        name = base[: 32 - len(suffix)] + suffix
        counter += 1
    taken.add(name.lower())
    return name


def missing_codes(highest: int) -> tuple[int, int]:
    """The Don't know and Prefer not to answer codes above substantive codes up to `highest`:
    8 and 9, 98 and 99, ..."""
    digits = 1
    while 10**digits - 2 <= highest:
        digits += 1
    return 10**digits - 2, 10**digits - 1


def _coded(
    questionnaire: Questionnaire, question: Question, language: str
) -> tuple[dict, dict, dict]:
    """The codes, value labels and missing codes of an agreement or single-choice question."""

    def name(code: str) -> str:
        return render(option_label(questionnaire, question, code), language)

    if question.type is QuestionType.AGREEMENT:
        substantive = list(AGREEMENT_SCALE)
        dont_know, prefer_not = [DONT_KNOW], [PREFER_NOT_TO_ANSWER]
    else:
        everything = [c.code for c in question.choices]
        dont_know = [c for c in everything if c in DONT_KNOW_CHOICES]
        prefer_not = [c for c in everything if c in PREFER_NOT_CHOICES]
        substantive = [c for c in everything if c not in DONT_KNOW_CHOICES | PREFER_NOT_CHOICES]
    codes = {code: number for number, code in enumerate(substantive, start=1)}
    dk, pna = missing_codes(len(substantive))
    missing = {}
    for code in dont_know:
        codes[code], missing[dk] = dk, DONT_KNOW
    for code in prefer_not:
        codes[code], missing[pna] = pna, PREFER_NOT_TO_ANSWER
    value_labels = {number: name(code) for code, number in codes.items()}
    return codes, dict(sorted(value_labels.items())), missing


def question_variables(
    questionnaire: Questionnaire, question: Question, language: str, taken: set[str]
) -> list[Variable]:
    """The variables of one question (none for free text)."""
    text = render(question_text(questionnaire, question), language)
    if question.type is QuestionType.TEXT:
        return []
    if question.type is QuestionType.NUMBER:
        return [Variable(_name(question.id, taken), question.id, text, Kind.NUMBER, "scale",
                         question)]  # fmt: skip
    if question.type is QuestionType.MULTIPLE_CHOICE:
        no_yes = {0: labels.label(labels.NOT_CHOSEN, language),
                  1: labels.label(labels.CHOSEN, language)}  # fmt: skip
        out = []
        for position, choice in enumerate(question.choices, start=1):
            answer = render(option_label(questionnaire, question, choice.code), language)
            label = labels.label(labels.CHOICE_VARIABLE, language, question=text, answer=answer)
            out.append(Variable(_name(f"{question.id}_{position}", taken), question.id, label,
                                Kind.CHOSEN, "nominal", question, value_labels=no_yes,
                                choice=choice.code))  # fmt: skip
        return out
    codes, value_labels, missing = _coded(questionnaire, question, language)
    measure = "ordinal" if question.type is QuestionType.AGREEMENT else "nominal"
    return [Variable(_name(question.id, taken), question.id, text, Kind.CODED, measure, question,
                     codes, value_labels, missing)]  # fmt: skip


def fixed_variables(language: str, taken: set[str]) -> list[Variable]:
    """The columns every respondent row starts with (SCORING.md, interchange format)."""
    out = []
    for column in FIXED_COLUMNS:
        label = labels.label(labels.FIXED_VARIABLES[column], language)
        if column == "completed":
            no_yes = {0: labels.label(labels.NO, language), 1: labels.label(labels.YES, language)}
            out.append(Variable(_name(column, taken), column, label, Kind.CODED, "nominal",
                                codes={"false": 0, "true": 1}, value_labels=no_yes))  # fmt: skip
        else:
            out.append(Variable(_name(column, taken), column, label, Kind.TEXT, "nominal"))
    return out


def straightliner_variable(language: str, taken: set[str]) -> Variable:
    """The straight-lining flag (`analysis.quality`): 0 No, 1 Yes, blank when not judged."""
    no_yes = {0: labels.label(labels.NO, language), 1: labels.label(labels.YES, language)}
    label = labels.label(labels.FIXED_VARIABLES[STRAIGHTLINER], language)
    return Variable(_name(STRAIGHTLINER, taken), STRAIGHTLINER, label, Kind.CODED, "nominal",
                    codes={"false": 0, "true": 1}, value_labels=no_yes)  # fmt: skip


def file_variables(
    questionnaire: Questionnaire, language: str, *, weighted: bool = False
) -> list[Variable]:
    """Every variable of a respondent-level file of `questionnaire`, in order, labelled in
    `language`: the fixed ones, the questions', `straightliner`, then `weight` when the file
    has weights."""
    taken: set[str] = set()
    out = fixed_variables(language, taken)
    for question in questionnaire.questions:
        out += question_variables(questionnaire, question, language, taken)
    out.append(straightliner_variable(language, taken))
    if weighted:
        label = labels.label(labels.FIXED_VARIABLES[WEIGHT], language)
        out.append(Variable(_name(WEIGHT, taken), WEIGHT, label, Kind.NUMBER, "scale"))
    return out


def stata_code(variable: Variable, number: int) -> int | str:
    """How Stata holds a code of `variable`: itself, or `a`/`b` (.a, .b) for a missing one."""
    return STATA_MISSING[variable.missing[number]] if number in variable.missing else number

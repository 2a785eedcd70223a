"""Check every cell of an interchange file against its questionnaire, and turn it into the wide
frame of codes that `analysis.frames` and the import take.

Each problem is reported with its row (as numbered in the file, the header being row 1) and its
column (name and spreadsheet letter), in any language. Cells are normalised on the way: "dk" is
"DK", "3.0" is "3", "TRUE" is true; with `labels` given, answer labels in that language (as
`cips export --labels` writes them) are read back as codes.

Choices SCORING.md leaves open, made here:
- one file holds one questionnaire, one administration and one wave (given, or taken from the
  first row); every row must agree;
- columns may come in any order; a question without a column is blank for everyone; a column
  that is neither a fixed column nor a question of the questionnaire is an error;
- blank cells are always accepted (not asked, not reached or skipped), and skip logic is not
  enforced: data collected with another tool may have asked a little more;
- the file's respondent ids are only checked (present, unique) and never stored: an import gives
  every respondent a new random id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import labels
from analysis.frames import FIXED_COLUMNS
from analysis.interchange import RawFile, column_letter
from analysis.quality import COLUMN as STRAIGHTLINER
from survey.campaigns import WAVE_LABEL
from survey.engine.messages import SCALE_LABELS
from survey.i18n import Text, available_languages, language_name, render, verbatim
from survey.questionnaire import (
    MULTIPLE_CHOICE_SEPARATOR,
    Question,
    Questionnaire,
    QuestionType,
)

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")


@dataclass(frozen=True)
class Problem:
    """One bad cell, header cell or row, and what is wrong with it."""

    row: int  # as numbered in the file; 1 is the header
    column: str  # "gender (H)", or "" for a problem with a whole row
    text: Text

    def render(self, language: str) -> str:
        if not self.column:
            return render(self.text, language)
        template = labels.HEADER_PROBLEM if self.row == 1 else labels.CELL_PROBLEM
        args = {"row": self.row, "column": verbatim(self.column), "problem": self.text}
        return render(Text(template, args), language)


class InvalidFile(ValueError):
    """Raised with every problem found in a file; nothing is imported from it. `hint`, when
    given, says what the problems seem to have in common (answers in another language)."""

    def __init__(self, problems: list[Problem], file: str = "", hint: Text | None = None):
        self.problems = problems
        self.file = file
        self.hint = hint
        super().__init__(f"{file}: {len(problems)} problem(s)")


def _text(msgid: str, **args) -> Text:
    return Text(msgid, args)


class _Checker:
    def __init__(self, raw: RawFile, questionnaire: Questionnaire, labels_language: str | None):
        self.raw = raw
        self.questionnaire = questionnaire
        self.labels_language = labels_language
        self.problems: list[Problem] = []
        self.frame = pd.DataFrame(raw.rows, columns=range(len(raw.header)), dtype=object)
        self.rows = np.array(raw.row_numbers)
        self.position: dict[str, int] = {}
        # (question, value) of every answer that is not a code (nor a label, with `labels`)
        self.unrecognised: list[tuple[Question, str]] = []

    def column_name(self, name: str) -> str:
        return f"{name} ({column_letter(self.position[name])})"

    def flag(self, name: str, bad: np.ndarray, make) -> None:
        """Report every row where `bad` holds; `make(index)` builds that row's problem."""
        for index in np.flatnonzero(bad):
            self.problems.append(
                Problem(int(self.rows[index]), self.column_name(name), make(index))
            )

    def header(self) -> None:
        # The derived flag of an exported file is taken and ignored: recomputed from answers.
        known = set(FIXED_COLUMNS) | {q.id for q in self.questionnaire.questions} | {STRAIGHTLINER}
        for index, name in enumerate(self.raw.header):
            where = f"{name or '?'} ({column_letter(index)})"
            if name in self.position:
                self.problems.append(Problem(1, where, _text(labels.DUPLICATE_COLUMN)))
            elif name not in known:
                self.problems.append(
                    Problem(
                        1, where, _text(labels.UNKNOWN_COLUMN, questionnaire=self.questionnaire.id)
                    )
                )
            else:
                self.position[name] = index
        for name in FIXED_COLUMNS:
            if name not in self.position:
                self.problems.append(Problem(1, "", _text(labels.MISSING_COLUMN, column=name)))
        for number in self.raw.long_rows:
            self.problems.append(Problem(number, "", _text(labels.ROW_TOO_LONG, row=number)))
        for number, count in self.raw.short_rows:
            text = _text(
                labels.ROW_TOO_SHORT, row=number, count=count, columns=len(self.raw.header)
            )
            self.problems.append(Problem(number, "", text))

    def cells(self, name: str) -> pd.Series:
        return self.frame[self.position[name]].astype(str)


def validate(
    raw: RawFile,
    questionnaire: Questionnaire,
    *,
    administration: str | None = None,
    wave: str | None = None,
    labels_language: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """The frame of codes (columns: the fixed ones, then the questions present) and every
    problem found. `administration` and `wave` default to the first row's values."""
    frame, checker = _check(raw, questionnaire, administration, wave, labels_language)
    return frame, checker.problems


def _check(
    raw: RawFile,
    questionnaire: Questionnaire,
    administration: str | None,
    wave: str | None,
    labels_language: str | None,
) -> tuple[pd.DataFrame, _Checker]:
    checker = _Checker(raw, questionnaire, labels_language)
    checker.header()
    if not raw.rows:
        checker.problems.append(Problem(0, "", Text(labels.FILE_EMPTY)))
    out: dict[str, pd.Series] = {}
    present = checker.position
    first = {
        name: checker.cells(name).iloc[0]
        for name in ("administration", "wave")
        if name in present and raw.rows
    }
    if wave is not None and not WAVE_LABEL.match(wave):
        checker.problems.append(Problem(0, "", _text(labels.BAD_WAVE, value=wave)))
    expected = {
        "questionnaire": questionnaire.id,
        "survey": str(questionnaire.survey),
        "administration": administration or first.get("administration", ""),
        "wave": wave or first.get("wave", ""),
    }
    if "respondent_id" in present:
        ids = checker.cells("respondent_id")
        checker.flag("respondent_id", (ids == "").to_numpy(), lambda i: _text(labels.EMPTY_ID))
        repeated = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()
        first_row = dict(zip(ids[::-1], checker.rows[::-1], strict=True))
        checker.flag(
            "respondent_id",
            repeated,
            lambda i: _text(
                labels.DUPLICATE_ID, value=ids.iloc[i], other=int(first_row[ids.iloc[i]])
            ),
        )
        out["respondent_id"] = ids
    for name, value in expected.items():
        if name not in present:
            continue
        cells = checker.cells(name)
        if name == "wave":
            malformed = ~cells.str.match(WAVE_LABEL.pattern).to_numpy(dtype=bool)
            checker.flag(
                name, malformed, lambda i, c=cells: _text(labels.BAD_WAVE, value=c.iloc[i])
            )
            if not WAVE_LABEL.match(value):
                continue
        checker.flag(
            name,
            (cells != value).to_numpy(),
            lambda i, c=cells, v=value: _text(labels.WRONG_VALUE, value=c.iloc[i], expected=v),
        )
        out[name] = pd.Series(value, index=cells.index)
    if "language" in present:
        language = checker.cells("language").str.replace("_", "-")
        bad = ~language.str.match(LANGUAGE_TAG.pattern).to_numpy(dtype=bool)
        checker.flag("language", bad, lambda i: _text(labels.BAD_LANGUAGE, value=language.iloc[i]))
        out["language"] = language
    if "completed" in present:
        completed = checker.cells("completed").str.lower()
        bad = ~completed.isin(["true", "false"]).to_numpy()
        checker.flag("completed", bad, lambda i: _text(labels.NOT_BOOLEAN, value=completed.iloc[i]))
        out["completed"] = completed == "true"
    for question in questionnaire.questions:
        if question.id in present:
            out[question.id] = _question(checker, question)
    checker.problems.sort(key=lambda p: (p.row, checker.position.get(p.column.split(" (")[0], -1)))
    return pd.DataFrame(out), checker


def _answer_labels(
    questionnaire: Questionnaire, question: Question, language: str | None
) -> dict[str, str]:
    """Lower-cased label or code -> code, for the answers a cell of `question` may hold, with
    the labels in `language` (codes only without one)."""
    codes = {code.casefold(): code for code in question.codes}
    if language is None:
        return codes
    for code in question.codes:
        if question.type is QuestionType.AGREEMENT:
            text = Text(SCALE_LABELS[code])
        else:
            label = next(c.label for c in question.choices if c.code == code)
            text = Text(label, context=f"{questionnaire.id}:{question.id}:{code}")
        codes.setdefault(render(text, language).casefold(), code)
    return codes


def _question(checker: _Checker, question: Question) -> pd.Series:
    cells = checker.cells(question.id)
    name = question.id
    if question.type is QuestionType.TEXT:
        too_long = (cells.str.len() > question.max_length).to_numpy()
        checker.flag(
            name, too_long, lambda i: _text(labels.TEXT_TOO_LONG, count=question.max_length)
        )
        return cells
    if question.type is QuestionType.NUMBER:
        return _number(checker, question, cells)
    lookup = _answer_labels(checker.questionnaire, question, checker.labels_language)
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return _multiple(checker, question, cells, lookup)
    # A spreadsheet may have turned a scale point into "3.0".
    folded = cells.str.replace(r"^(\d)\.0+$", r"\1", regex=True).str.casefold()
    codes = folded.map(lookup)
    bad = (codes.isna() & (cells != "")).to_numpy()
    checker.unrecognised += [(question, value) for value in cells[bad]]
    if question.type is QuestionType.AGREEMENT:
        checker.flag(name, bad, lambda i: _text(labels.NOT_AGREEMENT, value=cells.iloc[i]))
    else:
        choices = ", ".join(question.codes)
        checker.flag(
            name, bad, lambda i: _text(labels.NOT_A_CHOICE, value=cells.iloc[i], choices=choices)
        )
    return codes.fillna("")


def _multiple(checker: _Checker, question: Question, cells: pd.Series, lookup) -> pd.Series:
    choices = ", ".join(question.codes)
    values = []
    for index, cell in enumerate(cells):
        parts = [p.strip() for p in cell.split(MULTIPLE_CHOICE_SEPARATOR) if p.strip()]
        codes = [lookup.get(p.casefold()) for p in parts]
        problem = None
        if None in codes:
            bad = parts[codes.index(None)]
            problem = _text(labels.NOT_A_CHOICE, value=bad, choices=choices)
            checker.unrecognised += [
                (question, p) for p, c in zip(parts, codes, strict=True) if not c
            ]
        elif len(set(codes)) != len(codes):
            problem = _text(labels.REPEATED_CHOICE)
        elif question.max_choices and len(codes) > question.max_choices:
            problem = _text(labels.TOO_MANY_CHOICES, count=question.max_choices)
        if problem is not None:
            checker.problems.append(
                Problem(int(checker.rows[index]), checker.column_name(question.id), problem)
            )
        values.append(
            MULTIPLE_CHOICE_SEPARATOR.join(c for c in codes if c) if problem is None else ""
        )
    return pd.Series(values, index=cells.index, dtype=object)


def _number(checker: _Checker, question: Question, cells: pd.Series) -> pd.Series:
    name = question.id
    shaped = cells.str.match(_NUMBER.pattern).to_numpy(dtype=bool)
    numbers = pd.to_numeric(cells.str.replace(",", ".").where(shaped), errors="coerce")
    blank = (cells == "").to_numpy()
    not_number = ~blank & ~shaped
    checker.flag(name, not_number, lambda i: _text(labels.NOT_A_NUMBER, value=cells.iloc[i]))
    values = numbers.to_numpy(dtype=float)
    if question.integer:
        fractional = shaped & ~blank & (values != np.round(values))
        checker.flag(name, fractional, lambda i: _text(labels.NOT_WHOLE, value=cells.iloc[i]))
    outside = shaped & ~blank & ((values < question.min) | (values > question.max))
    low, high = (_number_text(float(v)) for v in (question.min, question.max))
    checker.flag(
        name, outside, lambda i: _text(labels.OUT_OF_RANGE, value=cells.iloc[i], min=low, max=high)
    )
    return pd.Series([_number_text(v) for v in values], index=cells.index, dtype=object)


def _number_text(value: float) -> str:
    if value != value:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def read_and_validate(
    raw: RawFile,
    questionnaire: Questionnaire,
    *,
    administration: str | None = None,
    wave: str | None = None,
    labels_language: str | None = None,
    file: str = "",
) -> pd.DataFrame:
    """The frame of codes, or `InvalidFile` (naming `file`) with every problem, and what they
    seem to have in common."""
    frame, checker = _check(raw, questionnaire, administration, wave, labels_language)
    if checker.problems:
        raise InvalidFile(checker.problems, file, _labels_hint(checker))
    return frame


# Fewer answers that are not recognised are typos, each named on its row; from this many on, the
# report says what was expected, since the file may be in another form altogether.
MANY_UNRECOGNISED = 10


def _labels_hint(checker: _Checker) -> Text | None:
    """What was expected of the answers that are not recognised and, when most of them are
    the answer labels of another language, that the file seems to be in that language."""
    unrecognised = checker.unrecognised
    if not unrecognised:
        return None
    expected = checker.labels_language
    best, matched = None, 0
    for language in available_languages():
        if language == expected:
            continue
        lookups = {}
        found = 0
        for question, value in unrecognised:
            if question.id not in lookups:
                lookups[question.id] = _answer_labels(checker.questionnaire, question, language)
            found += value.casefold() in lookups[question.id]
        if found > matched:
            best, matched = language, found
    count = len(unrecognised)
    if expected is None:
        hint = _text(labels.EXPECTED_CODES, count=count)
    else:
        hint = _text(labels.EXPECTED_LABELS, count=count, language=_language(expected))
    if best is not None and matched * 2 > count:
        seems = _text(labels.SEEMS_IN_LANGUAGE, matched=matched, language=_language(best),
                      code=best)  # fmt: skip
        return Text("{expected} {seems}", {"expected": hint, "seems": seems}, translate=False)
    return hint if count >= MANY_UNRECOGNISED else None


def _language(code: str) -> Text:
    return verbatim(f"{language_name(code)} ({code})")

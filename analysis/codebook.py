"""The codebook of a questionnaire: every variable of its respondent-level files with its label,
codes and labels, missing codes, key factor, reverse coding, linked item, constructs and skip
logic, in one language; written as Markdown or XLSX (`cips codebook`).

It is built from the same description as the files (`analysis.variables`), so it says what they
hold, including the labels cut to fit Stata and SPSS (`analysis.label_limits`). Free-text
questions are listed too, marked as in none of the files.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from functools import reduce
from pathlib import Path

from analysis import labels
from analysis.label_limits import spss_value_label, spss_variable_label, stata_variable_label
from analysis.labels import label
from analysis.quality import COLUMN as STRAIGHTLINER
from analysis.quality import MIN_ANSWERS
from analysis.variables import STATA_MISSING, Kind, Variable, file_variables
from survey.engine.questions import question_text, title_text
from survey.factors import FACTOR_BY_NUMBER
from survey.i18n import Text, is_right_to_left, language_name, render
from survey.questionnaire import Condition, Questionnaire, QuestionType

FORMATS = ("md", "xlsx")


@dataclass(frozen=True)
class Entry:
    """One row of the codebook: a variable (or a free-text question, with no variable)."""

    variable: str
    question: str
    type: str
    label: str
    stata_label: str
    spss_label: str
    values: str
    missing: str
    factor: int | None
    factor_name: str
    reverse: str
    link: str
    constructs: str
    shown_if: str
    notes: str


COLUMNS = tuple(f.name for f in fields(Entry))


@dataclass(frozen=True)
class Codebook:
    """The entries of `questionnaire` in `language`, with the texts that introduce them."""

    questionnaire: Questionnaire
    language: str
    title: str
    about: str
    notes: tuple[str, ...]
    headers: dict[str, str]
    entries: tuple[Entry, ...]


def _join(parts: list[str], template: str, language: str) -> str:
    return reduce(lambda a, b: label(template, language, first=a, second=b), parts)


def _values(variable: Variable, language: str) -> str:
    if variable.kind is Kind.NUMBER and variable.question is not None:
        question = variable.question
        template = labels.CODEBOOK_WHOLE_NUMBER if question.integer else labels.CODEBOOK_NUMBER
        return label(template, language, min=f"{question.min:g}", max=f"{question.max:g}")
    parts = []
    for code, text in variable.value_labels.items():
        short = spss_value_label(text)
        if short != text:
            text = label(labels.CODEBOOK_SHORT_VALUE, language, label=text, short=short)
        parts.append(f"{code} = {text}")
    return "; ".join(parts)


def _missing(variable: Variable, language: str) -> str:
    if not variable.missing:
        return ""
    codes = ", ".join(str(c) for c in sorted(variable.missing))
    letters = ", ".join(f".{STATA_MISSING[variable.missing[c]]}" for c in sorted(variable.missing))
    return label(labels.CODEBOOK_MISSING, language, codes=codes, letters=letters)


def _condition(condition: Condition, by_question: dict[str, Variable], language: str) -> str:
    variable = by_question.get(condition.question)
    name = variable.name if variable else condition.question
    if condition.in_ is not None or condition.not_in is not None:
        wanted = condition.in_ if condition.in_ is not None else condition.not_in
        answers = []
        for code in sorted(wanted, key=lambda c: (variable.codes.get(c, 0) if variable else 0, c)):
            if variable is not None and code in variable.codes:
                number = variable.codes[code]
                answers.append(f"{number} ({variable.value_labels[number]})")
            else:
                answers.append(code)
        template = labels.SKIP_IN if condition.in_ is not None else labels.SKIP_NOT_IN
        answers_text = _join(answers, labels.EITHER, language)
        return label(template, language, question=name, answers=answers_text)
    low, high = condition.min, condition.max
    if low is not None and high is not None:
        return label(labels.SKIP_BETWEEN, language, question=name, min=f"{low:g}", max=f"{high:g}")
    if low is not None:
        return label(labels.SKIP_AT_LEAST, language, question=name, min=f"{low:g}")
    return label(labels.SKIP_AT_MOST, language, question=name, max=f"{high:g}")


def build_codebook(questionnaire: Questionnaire, language: str) -> Codebook:
    """The codebook of `questionnaire`, every text in `language`."""
    variables = file_variables(questionnaire, language)
    by_question: dict[str, Variable] = {}
    for variable in variables:
        if variable.question is not None:
            by_question.setdefault(variable.question.id, variable)
    constructs_of: dict[str, list[str]] = {}
    for construct in questionnaire.constructs:
        context = f"{questionnaire.id}:construct:{construct.id}"
        name = render(Text(construct.name, context=context), language)
        for item in construct.items:
            constructs_of.setdefault(item, []).append(f"{name} ({construct.id})")
    yes = label(labels.YES, language)
    no = label(labels.NO, language)

    def entry(variable: Variable | None, question=None) -> Entry:
        question = question or variable.question
        if question is None:  # a fixed column, or the weight
            kind = "yes_no" if variable.kind is Kind.CODED else "fixed"
            kind = "weight" if variable.kind is Kind.NUMBER else kind
        else:
            kind = str(question.type)
        text = variable.label if variable else render(question_text(questionnaire, question),
                                                      language)  # fmt: skip
        stata, spss = stata_variable_label(text), spss_variable_label(text)
        factor = question.factor if question is not None else None
        notes = []
        if question is not None and question.demographic:
            notes.append(label(labels.CODEBOOK_DEMOGRAPHIC, language))
        if variable is None:
            notes.append(label(labels.CODEBOOK_FREE_TEXT, language))
        elif variable.column == STRAIGHTLINER:
            notes.append(label(labels.CODEBOOK_STRAIGHTLINER, language, min=MIN_ANSWERS))
        link = ""
        if question is not None and question.link:
            link = f"{question.link} ({questionnaire.counterpart})"
        return Entry(
            variable=variable.name if variable else "",
            question=question.id if question is not None else "",
            type=label(labels.CODEBOOK_TYPES[kind], language),
            label=text,
            stata_label=stata if variable and stata != text else "",
            spss_label=spss if variable and spss != text else "",
            values=_values(variable, language) if variable else "",
            missing=_missing(variable, language) if variable else "",
            factor=factor,
            factor_name=render(Text(FACTOR_BY_NUMBER[factor].name), language) if factor else "",
            reverse=(yes if question.reverse else no) if question is not None and question.scored
            else "",
            link=link,
            constructs="; ".join(constructs_of.get(question.id, [])) if question else "",
            shown_if=_join([_condition(c, by_question, language) for c in question.show_if],
                           labels.BOTH, language) if question is not None and question.show_if
            else "",
            notes=" ".join(notes),
        )  # fmt: skip

    # The variables in the files' order (a question's variables follow the fixed columns in
    # the order asked), with each free-text question, which has none, in its place.
    leading = list(itertools.takewhile(lambda v: v.question is None, variables))
    entries = [entry(v) for v in leading]
    for question in questionnaire.questions:
        if question.type is QuestionType.TEXT:
            entries.append(entry(None, question))
        entries += [entry(v) for v in variables if v.question is question]
    # What follows the questions in the files: the straight-lining flag, the weight.
    entries += [entry(v) for v in variables[len(leading) :] if v.question is None]
    title = render(title_text(questionnaire), language)
    about = label(labels.CODEBOOK_ABOUT, language, questionnaire=questionnaire.id,
                  version=questionnaire.version, language_name=language_name(language, in_sentence=True))  # fmt: skip
    return Codebook(
        questionnaire=questionnaire,
        language=language,
        title=label(labels.CODEBOOK_TITLE, language, title=title),
        about=about,
        notes=tuple(label(note, language) for note in labels.CODEBOOK_NOTES),
        headers={c: label(labels.CODEBOOK_COLUMNS[c], language) for c in COLUMNS},
        entries=tuple(entries),
    )


def _md_cell(value) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(codebook: Codebook) -> str:
    """The codebook as Markdown: the introduction, then one section per variable listing its
    non-empty fields (right to left for Arabic)."""
    lines = [f"# {codebook.title}", "", codebook.about, ""]
    lines += [f"- {note}" for note in codebook.notes]
    for entry in codebook.entries:
        heading = entry.variable or entry.question
        lines += ["", f"## {heading}", ""]
        for column in COLUMNS:
            value = getattr(entry, column)
            if column == "variable" or value in ("", None):
                continue
            lines.append(f"- **{codebook.headers[column]}**: {_md_cell(value)}")
    text = "\n".join(lines) + "\n"
    if is_right_to_left(codebook.language):
        text = f'<div dir="rtl">\n\n{text}\n</div>\n'
    return text


def write_xlsx(codebook: Codebook, path: Path) -> Path:
    """The codebook as a workbook: an "about" sheet and a "codebook" sheet with one row per
    variable; text cells neutralized like every XLSX the product writes; right to left for
    Arabic."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from analysis.spreadsheets import xlsx_cell

    right_to_left = is_right_to_left(codebook.language)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    workbook = Workbook(write_only=True)
    about = workbook.create_sheet("about")
    about.sheet_view.rightToLeft = right_to_left
    about.column_dimensions["A"].width = 120
    about.append([xlsx_cell(about, codebook.title, font=bold)])
    about.append([xlsx_cell(about, codebook.about)])
    about.append([])
    for note in codebook.notes:
        about.append([xlsx_cell(about, note, alignment=wrap)])

    sheet = workbook.create_sheet("codebook")
    sheet.sheet_view.rightToLeft = right_to_left
    sheet.freeze_panes = "B2"
    widths = {"label": 60, "stata_label": 40, "spss_label": 40, "values": 50, "shown_if": 30}
    for position, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = widths.get(column, 16)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(codebook.entries) + 1}"
    sheet.append([xlsx_cell(sheet, codebook.headers[c], font=bold, alignment=wrap)
                  for c in COLUMNS])  # fmt: skip
    for entry in codebook.entries:
        sheet.append([xlsx_cell(sheet, getattr(entry, c), alignment=wrap) for c in COLUMNS])
    path = Path(path)
    workbook.save(path)
    return path


def write_codebook(codebook: Codebook, path: Path | str) -> Path:
    """Write `codebook` as .md or .xlsx, by `path`'s suffix."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "md":
        path.write_text(to_markdown(codebook), encoding="utf-8")
        return path
    if suffix == "xlsx":
        return write_xlsx(codebook, path)
    raise ValueError(f"{path}: use a .md or .xlsx file name")

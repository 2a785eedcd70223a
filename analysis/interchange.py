"""The respondent-level interchange format of SCORING.md: reading and writing CSV and XLSX.

One row per respondent; the columns `respondent_id, questionnaire, survey, administration, wave,
language, completed`, one per demographic question, then one per item. Free-text answers are
never in it: they leave the product only detached (`analysis.free_text`). Every cell is read as
text: numbers typed into a spreadsheet come back as "3", true/false cells as "true"/"false",
empty cells as "", and what the writer adds so that a spreadsheet runs no text and keeps every
character (`analysis.spreadsheets`: the leading apostrophe, XLSX's `_x000D_` escapes) is taken
off again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import labels
from analysis.frames import FIXED_COLUMNS
from analysis.spreadsheets import restore_text, write_csv, write_xlsx, xlsx_text
from survey.i18n import Text
from survey.questionnaire import Questionnaire, QuestionType

SHEET = "responses"


class FileProblem(Exception):
    """The file as a whole cannot be read; `text` says why, in any language."""

    def __init__(self, text: Text):
        self.text = text
        super().__init__(text.msgid)


def columns(questionnaire: Questionnaire) -> list[str]:
    """The interchange columns for a questionnaire, in order (no free-text question)."""
    questions = [q.id for q in questionnaire.questions if q.type is not QuestionType.TEXT]
    return [*FIXED_COLUMNS, *questions]


def column_letter(position: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class RawFile:
    """The header and the data rows of a file, as text, with their row numbers in the file."""

    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    long_rows: list[int]  # row numbers with more cells than the header


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return restore_text(str(value).strip()).strip()


def _xlsx_row_text(row: tuple) -> list:
    return [xlsx_text(value) for value in row]


def _collect(records) -> RawFile:
    records = iter(records)
    header = next(records, None)
    if header is None:
        raise FileProblem(Text(labels.FILE_EMPTY))
    header = [_cell(h) for h in header]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    rows, numbers, long_rows = [], [], []
    for number, record in enumerate(records, start=2):
        cells = [_cell(v) for v in record]
        if not any(cells):
            continue  # a blank line or an empty spreadsheet row
        if any(cells[width:]):
            long_rows.append(number)
        cells = (cells + [""] * width)[:width]
        rows.append(cells)
        numbers.append(number)
    return RawFile(header, rows, numbers, long_rows)


def read_raw(path: Path | str) -> RawFile:
    """Read a .csv (UTF-8, comma) or .xlsx file (its first sheet) as text cells."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            data = path.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise FileProblem(Text(labels.FILE_NOT_UTF8)) from exc
            return _collect(csv.reader(io.StringIO(text, newline="")))
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            workbook = load_workbook(path, read_only=True, data_only=True)
            try:
                sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
                return _collect(map(_xlsx_row_text, sheet.iter_rows(values_only=True)))
            finally:
                workbook.close()
    except FileProblem:
        raise
    except (OSError, ValueError, KeyError, csv.Error) as exc:
        reason = Text(str(exc), translate=False)
        raise FileProblem(
            Text(labels.FILE_UNREADABLE, {"file": path.name, "reason": reason})
        ) from exc
    raise FileProblem(Text(labels.FILE_UNKNOWN_TYPE))


def write(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write an interchange frame (text cells) as .csv or .xlsx, by the file's suffix, with
    text a spreadsheet would run neutralized."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(frame, path)
    if suffix != ".xlsx":
        raise ValueError(f"{path}: use a .csv or .xlsx file name")
    # Scale points and numbers as numbers, so that a spreadsheet can compute with them.
    rows = (map(_number_or_text, record) for record in frame.itertuples(index=False))
    return write_xlsx(itertools.chain([list(frame.columns)], rows), path, SHEET)


def _number_or_text(value: str):
    if value and value.lstrip("-").isdigit() and len(value) < 16 and not value.startswith("0"):
        return int(value)
    return value

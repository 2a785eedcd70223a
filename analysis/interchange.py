"""The respondent-level interchange format of SCORING.md: reading and writing CSV and XLSX.

One row per respondent; the columns `respondent_id, questionnaire, survey, administration, wave,
language, completed`, one per demographic question, then one per item. Free-text answers are
never in it: they leave the product only detached (`analysis.free_text`). Every cell is read as
text: numbers typed into a spreadsheet come back as "3", true/false cells as "true"/"false",
empty cells as "", and what the writer adds so that a spreadsheet runs no text and keeps every
character (`analysis.spreadsheets`: the leading apostrophe, XLSX's `_x000D_` escapes) is taken
off again.

Reading is bounded (`survey.limits`, settings with defaults far above a real wave): a file over
`max_bytes` is refused from its size alone, before a byte of it is read; an XLSX whose parts
would unzip to more than `max_unpacked_bytes` is refused from its zip directory, before openpyxl
opens it (a zip bomb); rows are read one at a time (CSV streamed from the file, XLSX in openpyxl's
read-only mode) and the reading stops at the first row past `max_rows`. A CSV line may hold at
most MAX_LINE_CHARS characters and a file MAX_COLUMNS columns. So memory stays bounded by the
limits, whatever the file says.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import labels
from analysis.frames import FIXED_COLUMNS
from analysis.spreadsheets import restore_text, write_csv, write_xlsx, xlsx_text
from survey.i18n import Text
from survey.limits import ImportLimits, import_limits, megabytes
from survey.questionnaire import Questionnaire, QuestionType

SHEET = "responses"
MAX_COLUMNS = 1_000  # the interchange of the built-in questionnaires has about 60
MAX_LINE_CHARS = 100_000  # a row of codes is a few hundred characters, of labels a few thousand
# What a deflated part may take beyond its declared size (deflate adds 5 bytes per 16 KiB block
# to what it cannot compress); a part whose compressed stream is longer holds more than it says.
_DEFLATE_SLACK = 1.01
_DEFLATE_SLACK_BYTES = 1024


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
    # (row number, cells) of the CSV rows with fewer cells than the header
    short_rows: list[tuple[int, int]] = field(default_factory=list)


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


def _collect(records: Iterable, file: str, max_rows: int, *, csv_rows: bool = False) -> RawFile:
    """The file's rows as text cells. `csv_rows`: the records are CSV lines, whose cells are all
    written out (a spreadsheet's row is a grid row: its empty cells at the end are simply not
    stored, and read as empty)."""
    records = iter(records)
    header = next(records, None)
    if header is None:
        raise FileProblem(Text(labels.FILE_EMPTY))
    header = [_cell(h) for h in header]
    while header and header[-1] == "":
        header.pop()
    if csv_rows:
        _check_separator(header, file)
    if len(header) > MAX_COLUMNS:
        raise FileProblem(Text(labels.FILE_TOO_MANY_COLUMNS, {"file": file, "limit": MAX_COLUMNS}))
    width = len(header)
    rows, numbers, long_rows, short_rows = [], [], [], []
    for number, record in enumerate(records, start=2):
        if number - 1 > max_rows:  # blank rows count: they take time to read all the same
            raise FileProblem(Text(labels.FILE_TOO_MANY_ROWS, {"file": file, "limit": max_rows}))
        cells = [_cell(v) for v in record]
        if not any(cells):
            continue  # a blank line or an empty spreadsheet row
        if any(cells[width:]):
            long_rows.append(number)
        # A CSV row with fewer cells than the header is refused, not padded: a row cut short
        # (a file truncated or edited by hand) cannot be told from one whose last cells are
        # empty, and padding would quietly turn its lost answers into "not asked". Excel, Google
        # Sheets, LibreOffice, pandas and R write every cell of every row (old Excel versions
        # sometimes dropped the commas of empty cells at the end of a row, a known bug of theirs);
        # the message says how to write such a file (the commas, or .xlsx).
        if csv_rows and len(cells) < width:
            short_rows.append((number, len(cells)))
        cells = (cells + [""] * width)[:width]
        rows.append(cells)
        numbers.append(number)
    return RawFile(header, rows, numbers, long_rows, short_rows)


def _check_separator(header: list[str], file: str) -> None:
    """Refuse a CSV separated by semicolons (what Excel saves where the list separator is ';',
    as in French), naming the separator: read with commas its header is one cell. The format is
    UTF-8 and comma (SCORING.md), one way for every tool; an XLSX workbook, which `cips import`
    reads as well, is the easy way out of a spreadsheet whatever its locale."""
    if len(header) == 1 and ";" in header[0]:
        raise FileProblem(Text(labels.FILE_SEMICOLONS, {"file": file}))


def _lines(handle, file: str) -> Iterator[str]:
    """The file's lines, each at most MAX_LINE_CHARS long (csv would hold a longer one whole)."""
    number = 0
    while line := handle.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            args = {"line": number, "file": file, "limit": MAX_LINE_CHARS}
            raise FileProblem(Text(labels.FILE_LINE_TOO_LONG, args))
        yield line


def check_workbook_archive(path: Path, limits: ImportLimits) -> None:
    """Refuse an XLSX whose parts would unzip to more than the limit, from the zip directory
    alone (nothing is decompressed), and one whose parts are packed in a way that could hide
    more: Python's zipfile stops a part at its declared size (and fails its checksum), and a
    deflated part whose compressed stream is not longer than that size cannot expand much
    beyond it in the meantime; other compression methods are refused."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile as exc:
        reason = Text(str(exc), translate=False)
        raise FileProblem(
            Text(labels.FILE_UNREADABLE, {"file": path.name, "reason": reason})
        ) from exc
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_unpacked_bytes:
        args = {"file": path.name, "size": megabytes(unpacked),
                "limit": megabytes(limits.max_unpacked_bytes)}  # fmt: skip
        raise FileProblem(Text(labels.FILE_UNPACKED_TOO_LARGE, args))
    for part in parts:
        stored = part.compress_type == zipfile.ZIP_STORED and part.compress_size == part.file_size
        deflated = part.compress_type == zipfile.ZIP_DEFLATED and (
            part.compress_size <= part.file_size * _DEFLATE_SLACK + _DEFLATE_SLACK_BYTES
        )
        if not (stored or deflated):
            args = {"file": path.name, "part": Text(part.filename, translate=False)}
            raise FileProblem(Text(labels.FILE_BAD_ARCHIVE, args))


def _check_size(path: Path, limits: ImportLimits) -> None:
    size = path.stat().st_size
    if size > limits.max_bytes:
        args = {"file": path.name, "size": megabytes(size), "limit": megabytes(limits.max_bytes)}
        raise FileProblem(Text(labels.FILE_TOO_LARGE, args))


def read_raw(path: Path | str, limits: ImportLimits | None = None) -> RawFile:
    """Read a .csv (UTF-8, comma) or .xlsx file (its first sheet) as text cells, within
    `limits` (default: the settings, `survey.limits.import_limits()`)."""
    path = Path(path)
    limits = limits or import_limits()
    suffix = path.suffix.lower()
    try:
        if suffix not in (".csv", ".xlsx"):
            raise FileProblem(Text(labels.FILE_UNKNOWN_TYPE))
        _check_size(path, limits)
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                records = csv.reader(_lines(handle, path.name))
                return _collect(records, path.name, limits.max_rows, csv_rows=True)
        check_workbook_archive(path, limits)
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
            # As wide as the sheet says it is, but at most one column past the limit, so that a
            # wider header is seen and refused without reading thousands of empty cells a row.
            width = min(sheet.max_column or MAX_COLUMNS + 1, MAX_COLUMNS + 1)
            rows = sheet.iter_rows(values_only=True, max_col=width)
            return _collect(map(_xlsx_row_text, rows), path.name, limits.max_rows)
        finally:
            workbook.close()
    except FileProblem:
        raise
    except UnicodeDecodeError as exc:
        raise FileProblem(Text(labels.FILE_NOT_UTF8)) from exc
    except (OSError, ValueError, KeyError, csv.Error, zipfile.BadZipFile) as exc:
        reason = Text(str(exc), translate=False)
        raise FileProblem(
            Text(labels.FILE_UNREADABLE, {"file": path.name, "reason": reason})
        ) from exc


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

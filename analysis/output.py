"""Writing the result tables: one CSV or JSON file per table, or one XLSX workbook.

CSV and JSON keep the column names of SCORING.md and full precision (a suppressed or missing
value is an empty cell, or null); booleans are `true`/`false`. The workbook is for reading, in
the chosen language: an "about" sheet (the notes, the straight-lining counts), then one sheet per
table named like the table, with translated headers, the names of what the codes stand for
beside them (survey, statement, key factor, breakdown question and answer: `analysis.readable`),
numbers formatted for reading, suppressed cells greyed out, and right to left in a right-to-left
language. In CSV and XLSX, text a spreadsheet would run is neutralized
(`analysis.spreadsheets`). `metadata.json` records the threshold k and the language.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import labels
from analysis.frames import wave_order
from analysis.labels import label
from analysis.quality import MIN_ANSWERS
from analysis.readable import Key, Vocabulary, readable_table
from analysis.results import Results
from analysis.spreadsheets import write_csv, xlsx_cell
from survey.i18n import is_right_to_left
from survey.questionnaire import Questionnaire

FORMATS = ("csv", "xlsx", "json")
WORKBOOK = "results.xlsx"
GREY = "D9D9D9"
_NUMBER_FORMATS = {"alpha": "0.00"}


def _records(table: pd.DataFrame) -> list[dict]:
    def plain(value):
        if value is None or value is pd.NA:
            return None
        if isinstance(value, float) and math.isnan(value):
            return None
        if hasattr(value, "item"):
            return value.item()
        return value

    return [
        {column: plain(value) for column, value in zip(table.columns, row, strict=True)}
        for row in table.itertuples(index=False)
    ]


def _text_cells(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for column in out.columns:
        if out[column].dtype.kind == "b" or str(out[column].dtype) == "boolean":
            out[column] = out[column].map({True: "true", False: "false"}).fillna("")
    return out


def write_results(
    results: Results,
    folder: Path | str,
    fmt: str,
    questionnaires: Mapping[Key, Questionnaire] | None = None,
) -> list[Path]:
    """Write every table of `results` into `folder` as csv, xlsx or json; the paths written.
    `questionnaires` (by administration, wave and survey: the analysed ones) give the workbook
    its statements and answer labels."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if fmt == "csv":
        for name, table in results.tables.items():
            written.append(write_csv(_text_cells(table), folder / f"{name}.csv"))
    elif fmt == "json":
        for name, table in results.tables.items():
            path = folder / f"{name}.json"
            path.write_text(
                json.dumps(_records(table), ensure_ascii=False, indent=1, allow_nan=False),
                encoding="utf-8",
            )
            written.append(path)
    else:
        written.append(write_workbook(results, folder / WORKBOOK, questionnaires=questionnaires))
    metadata = folder / "metadata.json"
    metadata.write_text(
        json.dumps(
            {
                "min_cell": results.min_cell,
                "language": results.language,
                "generated_on": dt.date.today().isoformat(),
                "tables": list(results.tables),
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    return [*written, metadata]


def quality_notes(results: Results, vocabulary: Vocabulary) -> list[str]:
    """The straight-lining counts of `results`, one line per survey and wave, then whether the
    tables leave the straight-liners out."""
    language = vocabulary.language
    lines = []
    for row in results.quality.to_dict("records"):
        args = {"survey": vocabulary.survey(row["survey"]),
                "administration": row["administration"], "wave": row["wave"]}  # fmt: skip
        if row["suppressed"]:
            lines.append(label(labels.STRAIGHTLINING_SUPPRESSED, language, k=results.min_cell,
                               **args))  # fmt: skip
        else:
            lines.append(label(labels.STRAIGHTLINING, language, count=int(row["straightliners"]),
                               judged=int(row["judged"]), min=MIN_ANSWERS,
                               respondents=int(row["respondents"]), **args))  # fmt: skip
    if lines:
        excluded = bool(results.quality["excluded"].any())
        note = labels.STRAIGHTLINERS_EXCLUDED if excluded else labels.STRAIGHTLINERS_INCLUDED
        lines.append(label(note, language))
    return lines


def write_workbook(
    results: Results,
    path: Path,
    releases: Sequence[tuple[str, str]] = (),
    questionnaires: Mapping[Key, Questionnaire] | None = None,
) -> Path:
    """The workbook: an "about" sheet (with the releases it shows: campaign code, release
    date), then one sheet per table (write-only, so it stays quick for large tables).
    `questionnaires` (by administration, wave and survey) name the statements and answers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    language = results.language
    right_to_left = is_right_to_left(language)
    grey = PatternFill("solid", start_color=GREY, end_color=GREY)
    bold = Font(bold=True)
    workbook = Workbook(write_only=True)
    vocabulary = Vocabulary(questionnaires or {}, language)
    headers_of = {**labels.COLUMNS, **labels.WORKBOOK_COLUMNS}

    about = workbook.create_sheet("about")
    about.sheet_view.rightToLeft = right_to_left
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 100
    about.append([xlsx_cell(about, label(labels.README_TITLE, language), font=bold)])
    for line in labels.README_LINES:
        about.append([xlsx_cell(about, label(line, language, k=results.min_cell))])
    if results.weighted:
        about.append([xlsx_cell(about, label(labels.WEIGHTED_NOTE, language))])
        shown = sorted(set(results.factors["wave"].astype(str)), key=wave_order)
        if any(wave not in results.weighted_waves for wave in shown):
            waves = ", ".join(w for w in shown if w in results.weighted_waves)
            about.append([xlsx_cell(about, label(labels.WEIGHTED_WAVES, language, waves=waves))])
    for weighted, unweighted in results.mixed_trends():
        text = label(labels.MIXED_TREND, language, weighted=weighted, unweighted=unweighted)
        about.append([xlsx_cell(about, text)])
    for line in quality_notes(results, vocabulary):
        about.append([xlsx_cell(about, line)])
    if releases:
        about.append([])
        about.append([xlsx_cell(about, label(labels.RELEASES, language), font=bold)])
        for code, released in releases:
            about.append([xlsx_cell(about, code), xlsx_cell(about, released)])
    about.append([])
    for name in results.tables:
        about.append(
            [xlsx_cell(about, name), xlsx_cell(about, label(labels.TABLES[name], language))]
        )

    for name, table in results.tables.items():
        table = readable_table(table, vocabulary)
        sheet = workbook.create_sheet(name)
        sheet.sheet_view.rightToLeft = right_to_left
        sheet.freeze_panes = "A2"
        headers = [label(headers_of[c], language) if c in headers_of else c
                   for c in table.columns]  # fmt: skip
        for column, header in enumerate(headers, start=1):
            long_text = table.columns[column - 1] in ("statement", "linked_statement")
            width = 60 if long_text else max(10, min(40, len(header) + 2))
            sheet.column_dimensions[get_column_letter(column)].width = width
        if len(table.columns):
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
        wrap = Alignment(wrap_text=True, vertical="top")
        sheet.append([xlsx_cell(sheet, h, font=bold, alignment=wrap) for h in headers])
        formats = [
            _NUMBER_FORMATS.get(c, "0.0" if table[c].dtype.kind == "f" else None)
            for c in table.columns
        ]
        suppressed = (
            table["suppressed"].astype(bool).to_numpy()
            if "suppressed" in table.columns
            else np.zeros(len(table), dtype=bool)
        )
        for record, hidden in zip(_records(table), suppressed, strict=True):
            row = []
            for value, number_format in zip(record.values(), formats, strict=True):
                if value is None and hidden:
                    row.append(xlsx_cell(sheet, None, fill=grey))
                elif number_format and isinstance(value, float):
                    row.append(xlsx_cell(sheet, value, number_format=number_format))
                else:
                    row.append(xlsx_cell(sheet, value) if isinstance(value, str) else value)
            sheet.append(row)
    workbook.save(path)
    return path

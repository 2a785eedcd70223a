"""The cells of every CSV and XLSX file the product writes: text a spreadsheet would run is
neutralized (DESIGN.md, Anonymity 8).

Owns the one rule and the writers that apply it; every CSV or XLSX writer of the product
(`cips export`, `cips analyze`, `cips generate`, the web downloads) goes through them:
- a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
  apostrophe, in CSV and XLSX alike (a CSV may be opened, or pasted, into any spreadsheet);
- XLSX text cells are written as text (data type "s"), never as a formula (nor as an error
  value such as "#N/A");
- numbers stay numbers, and text that is a plain number ("-1", "+2.5") is left as it is: a
  spreadsheet reads it as that number, never as a formula.
`restore_text` undoes the apostrophe when such a file is read back (`cips import`).

So that every text reads back exactly: CSV lines end in CRLF (RFC 4180), because Python's csv
module quotes a field holding a carriage return only when the line ending has one (unquoted, the
return would split the row); in XLSX, a carriage return and the control characters XML cannot
hold are written the OOXML way (`_x000D_`, as Excel does), which `xlsx_text` reads back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
CSV_LINE_END = "\r\n"
# Characters an XLSX text cannot hold as they are (XML drops them or turns \r into \n), and a
# literal "_xHHHH_" (its underscore escaped, or a reader would decode it).
_OOXML_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")
_OOXML_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def safe_text(text: str) -> str:
    """`text` with a leading apostrophe if a spreadsheet would take it for a formula."""
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_value(value: Any) -> Any:
    """A cell's value made safe: text neutralized, anything else (numbers, None) unchanged."""
    return safe_text(value) if isinstance(value, str) else value


def restore_text(text: str) -> str:
    """The text `safe_text` was given, from what it returned (other text unchanged)."""
    if text.startswith("'") and safe_text(text[1:]) == text:
        return text[1:]
    return text


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell and column name made safe."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if column.dtype.kind == "O" or isinstance(column.dtype, pd.StringDtype):
            out.isetitem(position, column.map(safe_value, na_action="ignore"))
    out.columns = [safe_value(name) for name in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """`frame` as a UTF-8 CSV file (comma, no index), text made safe."""
    path = Path(path)
    safe_frame(frame).to_csv(path, index=False, encoding="utf-8", lineterminator=CSV_LINE_END)
    return path


def _ooxml(text: str) -> str:
    return _OOXML_ESCAPE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def xlsx_text(value: Any) -> Any:
    """A cell value as read by openpyxl, with the OOXML escapes (`_x000D_`) decoded."""
    if isinstance(value, str) and "_x" in value:
        return _OOXML_ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def xlsx_cell(sheet, value: Any, **style: Any):
    """A cell for a write-only `sheet`: text made safe and typed as text; `style` attributes
    (font, fill, number_format, ...) set on it."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_ooxml(safe_text(value)))
        cell.data_type = "s"  # openpyxl would make "=..." a formula and "#N/A" an error
    else:
        cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def xlsx_row(sheet, values: Iterable[Any]) -> list:
    """A row for `sheet.append`: text cells made safe and typed as text, the rest as given."""
    return [xlsx_cell(sheet, v) if isinstance(v, str) else v for v in values]


def write_xlsx(rows: Iterable[Iterable[Any]], path: Path | str, sheet_name: str) -> Path:
    """A workbook of one sheet holding `rows` (the first one the header), text made safe."""
    from openpyxl import Workbook

    path = Path(path)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    workbook.save(path)
    return path

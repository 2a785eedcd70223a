"""Imports refuse what is too large at once, with a message, and read the rest in bounded memory
(issue 21, item 5): a file over the size limit is refused from its size, an XLSX over the unpacked
limit from its zip directory (zip bombs), a file past the row limit at the first row beyond it.
The limits are settings (survey.limits); tests lower them through the environment where a file
at the default limit would take long to write."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from analysis import labels
from analysis.interchange import (
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    FileProblem,
    read_raw,
    write,
)
from analysis.synthetic import generate_wave
from survey.config import load_settings
from survey.i18n import render
from survey.limits import (
    DEFAULT_IMPORT_MAX_BYTES,
    DEFAULT_IMPORT_MAX_ROWS,
    DEFAULT_IMPORT_MAX_UNPACKED_BYTES,
    ImportLimits,
    import_limits,
    megabytes,
    parse_size,
)
from survey.loader import load_questionnaires
from tests.cli_support import run_cips

OFFICIALS = load_questionnaires()["cips-officials"]
SHEET = "xl/worksheets/sheet1.xml"


def wave(tmp_path: Path, suffix: str, n: int = 20) -> Path:
    frame = generate_wave(OFFICIALS, n, administration="BF", wave="2026", seed=3)
    return write(frame, tmp_path / f"wave.{suffix}")


def refusal(path: Path, limits: ImportLimits | None = None) -> tuple[FileProblem, float]:
    started = time.monotonic()
    with pytest.raises(FileProblem) as caught:
        read_raw(path, limits)
    return caught.value, time.monotonic() - started


def test_a_200_mb_csv_is_refused_unread_with_a_message_in_the_users_language(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:  # sparse: 200 MB on paper, nothing written past the header
        handle.write(wave(tmp_path, "csv").read_bytes()[:2000])
        handle.truncate(200_000_000)
    tracemalloc.start()
    problem, elapsed = refusal(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert problem.text.msgid == labels.FILE_TOO_LARGE
    assert elapsed < 1.0
    assert peak < 1_000_000  # nothing of the 200 MB was read
    started = time.monotonic()
    result = run_cips("import", str(path), "--language", "fr", ok=False)
    assert time.monotonic() - started < 1.0
    assert result.output.strip() == (
        "Error: Le fichier big.csv fait 200 Mo, plus que les 50 Mo permis pour une importation "
        "(réglage CIPS_IMPORT_MAX_BYTES)\u202f: rien n'a été lu."
    )


def test_the_size_limit_is_a_setting(tmp_path, monkeypatch):
    path = wave(tmp_path, "csv", n=200)  # a real wave file, about 36 KB
    monkeypatch.setenv("CIPS_IMPORT_MAX_BYTES", "20KB")
    problem, _ = refusal(path)
    assert problem.text.msgid == labels.FILE_TOO_LARGE
    assert problem.text.args == {"file": "wave.csv", "size": megabytes(path.stat().st_size),
                                 "limit": "0.02"}  # fmt: skip
    monkeypatch.setenv("CIPS_IMPORT_MAX_BYTES", str(path.stat().st_size))  # exactly at the limit
    assert len(read_raw(path).rows) == 200


def test_reading_stops_at_the_first_row_past_the_limit(tmp_path, monkeypatch):
    """200,000 rows (about 36 MB, under the size limit), the row limit lowered to 1,000: refused in
    well under a second, where reading the whole file takes many."""
    lines = wave(tmp_path, "csv", n=1).read_bytes().splitlines(keepends=True)
    path = tmp_path / "long.csv"
    path.write_bytes(lines[0] + lines[1] * 200_000)
    monkeypatch.setenv("CIPS_IMPORT_MAX_ROWS", "1000")
    problem, elapsed = refusal(path)
    assert problem.text.msgid == labels.FILE_TOO_MANY_ROWS
    assert problem.text.args == {"file": "long.csv", "limit": 1000}
    assert elapsed < 1.0
    at_limit = tmp_path / "at-limit.csv"
    at_limit.write_bytes(lines[0] + lines[1] * 1000)
    assert len(read_raw(at_limit).rows) == 1000


def test_blank_rows_count_towards_the_row_limit(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(b"respondent_id\n" + b"\n" * 11)
    problem, _ = refusal(path, ImportLimits(max_rows=10))
    assert problem.text.msgid == labels.FILE_TOO_MANY_ROWS


def test_an_xlsx_row_limit_too(tmp_path):
    path = wave(tmp_path, "xlsx", n=30)
    problem, _ = refusal(path, ImportLimits(max_rows=29))
    assert problem.text.msgid == labels.FILE_TOO_MANY_ROWS
    assert len(read_raw(path, ImportLimits(max_rows=30)).rows) == 30


def _rebuild(source: Path, target: Path, sheet: bytes | None = None) -> None:
    """`source`'s parts in a new zip, the first sheet replaced by `sheet`."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for part in old.infolist():
            data = sheet if part.filename == SHEET and sheet is not None else old.read(part)
            new.writestr(part.filename, data)


def _declare(path: Path, member: str, size: int) -> None:
    """Rewrite the uncompressed size that `path`'s zip directory declares for `member`."""
    data = bytearray(path.read_bytes())
    start = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46 : start + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, start + 24, size)
            path.write_bytes(bytes(data))
            return
        start = data.index(b"PK\x01\x02", start + 46)


def test_a_tiny_workbook_declaring_a_huge_sheet_is_refused_before_opening(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    _rebuild(wave(tmp_path, "xlsx"), bomb)
    _declare(bomb, SHEET, 3_000_000_000)
    assert bomb.stat().st_size < 100_000
    problem, elapsed = refusal(bomb)
    assert problem.text.msgid == labels.FILE_UNPACKED_TOO_LARGE
    assert problem.text.args["size"] == megabytes(
        sum(p.file_size for p in zipfile.ZipFile(bomb).infolist())
    )
    assert elapsed < 1.0
    assert render(problem.text, "es").startswith("El libro bomb.xlsx se descomprime en 3000")


def test_a_highly_compressible_sheet_is_refused_before_opening(tmp_path, monkeypatch):
    """A real bomb: 12 MB of identical rows in a 40 KB file, the unpacked limit at 10 MB (the
    default, 500 MB, would take seconds to compress in a test). Without the check openpyxl would
    read it row by row until the row limit."""
    original = wave(tmp_path, "xlsx")
    with zipfile.ZipFile(original) as archive:
        head, _, _ = archive.read(SHEET).partition(b"<sheetData>")
    rows = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 240_000
    bomb = tmp_path / "rows.xlsx"
    _rebuild(original, bomb, head + b"<sheetData>" + rows + b"</sheetData></worksheet>")
    assert bomb.stat().st_size < 200_000
    monkeypatch.setenv("CIPS_IMPORT_MAX_UNPACKED_BYTES", "10MB")
    problem, elapsed = refusal(bomb)
    assert problem.text.msgid == labels.FILE_UNPACKED_TOO_LARGE
    assert elapsed < 1.0


def test_a_part_holding_more_than_it_declares_is_refused(tmp_path):
    """20 MB of zeros deflated (20 KB), declared as 1 KB: Python's zipfile would cut it at 1 KB,
    but only after inflating what it reads at once; the check refuses such a part outright."""
    liar = tmp_path / "liar.xlsx"
    _rebuild(wave(tmp_path, "xlsx"), liar)
    with zipfile.ZipFile(liar, "a", zipfile.ZIP_DEFLATED) as target:
        target.writestr("xl/media/padding.bin", bytes(20_000_000))
    _declare(liar, "xl/media/padding.bin", 1000)
    problem, elapsed = refusal(liar)
    assert problem.text.msgid == labels.FILE_BAD_ARCHIVE
    assert render(problem.text.args["part"], "en") == "xl/media/padding.bin"
    assert elapsed < 1.0


def test_a_file_that_is_not_a_zip_is_unreadable_not_a_crash(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("respondent_id\n1\n")
    problem, _ = refusal(path)
    assert problem.text.msgid == labels.FILE_UNREADABLE


def test_too_many_columns_and_too_long_lines_are_refused(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n1\n")
    problem, _ = refusal(wide)
    assert problem.text.msgid == labels.FILE_TOO_MANY_COLUMNS
    long = tmp_path / "long-line.csv"
    long.write_text("respondent_id\n1\n" + "x" * (MAX_LINE_CHARS + 1) + "\n")
    problem, _ = refusal(long)
    assert problem.text.msgid == labels.FILE_LINE_TOO_LONG
    assert problem.text.args["line"] == 3


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_within_the_limits_a_file_reads_as_before(tmp_path, suffix):
    path = wave(tmp_path, suffix, n=25)
    raw = read_raw(path)
    assert raw.header[:2] == ["respondent_id", "questionnaire"]
    assert len(raw.rows) == 25 and raw.row_numbers == list(range(2, 27))


def test_a_non_utf8_csv_still_says_so(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("respondent_id,name\n1,Zoé\n".encode("latin-1"))
    problem, _ = refusal(path)
    assert problem.text.msgid == labels.FILE_NOT_UTF8


def test_the_settings_and_their_defaults(monkeypatch):
    for name in ("CIPS_IMPORT_MAX_BYTES", "CIPS_IMPORT_MAX_UNPACKED_BYTES", "CIPS_IMPORT_MAX_ROWS"):
        monkeypatch.delenv(name, raising=False)
    assert import_limits() == ImportLimits(50_000_000, 500_000_000, 100_000)
    assert (DEFAULT_IMPORT_MAX_BYTES, DEFAULT_IMPORT_MAX_UNPACKED_BYTES, DEFAULT_IMPORT_MAX_ROWS) == (
        50_000_000, 500_000_000, 100_000)  # fmt: skip
    monkeypatch.setenv("CIPS_IMPORT_MAX_ROWS", "2,000")
    monkeypatch.setenv("CIPS_MAX_REQUEST_BYTES", "2 MiB")
    assert load_settings().import_limits.max_rows == 2000
    assert load_settings().max_request_bytes == 2 * 1024 * 1024
    assert [parse_size(s) for s in ("123", "50MB", "1.5kb", "1GiB")] == [123, 50_000_000, 1500,
                                                                         2**30]  # fmt: skip
    for bad in ("", "0", "-5MB", "5 parsecs", "MB"):
        with pytest.raises(ValueError):
            parse_size(bad)
    monkeypatch.setenv("CIPS_IMPORT_MAX_BYTES", "lots")
    with pytest.raises(ValueError, match="CIPS_IMPORT_MAX_BYTES"):
        import_limits()


def test_megabytes_for_messages():
    assert [megabytes(n) for n in (200_000_000, 52_428_800, 1_000, 20_000, 0)] == [
        "200", "52.4", "0.001", "0.02", "0"]  # fmt: skip

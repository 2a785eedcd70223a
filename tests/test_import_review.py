"""`cips import` as an analyst importing earlier waves ran it (the review of the import path):
an exported wave imported again is refused whatever its bytes, a CSV row cut short is refused
like one too long, a CSV separated by semicolons says so, and a file of answer labels in another
language says which one (with a bounded report)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from sqlalchemy import func, select

from analysis import generate_wave, labels
from analysis.interchange import FileProblem, read_raw, write
from cips.cli.language import MAX_PROBLEMS_SHOWN
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.models import SealedResponse
from tests.cli_support import run_cips as run
from tests.test_analysis_import import cips  # noqa: F401 (the fixture: a database with BF)

QUESTIONNAIRES = load_questionnaires()
pytestmark = pytest.mark.usefixtures("cips")


def wave_file(tmp_path, name: str, seed: int, n: int, qid="cips-private-sector", wave="2026"):
    frame = generate_wave(QUESTIONNAIRES[qid], n, administration="BF", wave=wave, seed=seed)
    return write(frame, tmp_path / name)


def sealed(database_url: str) -> int:
    database = Database(database_url)
    with database.transaction() as session:
        found = session.scalar(select(func.count()).select_from(SealedResponse))
    database.dispose()
    return found


def test_an_exported_wave_imported_again_is_refused_whatever_its_bytes(tmp_path, database_url):
    run("import", str(wave_file(tmp_path, "traders.csv", 1, 60)), "--code", "bf-2026-traders")
    run("export", "--campaign", "bf-2026-traders", "-o", str(tmp_path / "tr26.csv"))
    run(
        "export", "--campaign", "bf-2026-traders", "--labels", "fr", "-o", str(tmp_path / "fr.xlsx")
    )
    assert sealed(database_url) == 60
    again = run("import", str(tmp_path / "tr26.csv"), ok=False)
    assert (
        "60 of the 60 responses of this file are already in wave 2026 of BF (Private sector), in "
        "campaign bf-2026-traders" in again.output
    )
    assert "--allow-duplicates" in again.output
    # In French labels, as another campaign code: the same responses, refused in French.
    french = run("import", str(tmp_path / "fr.xlsx"), "--labels", "fr", "--code", "other",
                  "--language", "fr", ok=False)  # fmt: skip
    assert "60 des 60 réponses de ce fichier sont déjà dans la vague 2026 de BF" in french.output
    # The export with 5 new people added: the 60 would be counted twice, refused too.
    grown = pd.concat(
        [
            pd.read_csv(tmp_path / "tr26.csv", dtype=str, keep_default_na=False),
            pd.read_csv(wave_file(tmp_path, "new.csv", 9, 5), dtype=str, keep_default_na=False),
        ]
    ).drop(columns="straightliner")
    write(grown, tmp_path / "grown.csv")
    assert "60 of the 65 responses" in run("import", str(tmp_path / "grown.csv"), ok=False).output
    assert sealed(database_url) == 60
    # Another batch of other respondents of the same wave imports; so does another wave.
    run("import", str(wave_file(tmp_path, "batch2.csv", 2, 40)))
    run("import", str(wave_file(tmp_path, "2025.csv", 1, 60, wave="2025")))
    assert sealed(database_url) == 160
    # Asked for in so many words, it imports.
    done = run("import", str(tmp_path / "tr26.csv"), "--allow-duplicates")
    assert "Imported 60 respondents" in done.output
    assert sealed(database_url) == 220


def test_a_truncated_csv_row_is_refused_like_a_row_too_long(tmp_path, database_url):
    path = wave_file(tmp_path, "trunc.csv", 3, 30, qid="cips-officials")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    width = len(rows[0])
    rows[5] = rows[5][:10]  # file row 6
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = run("import", str(path), "--code", "trunc-test", ok=False)
    assert f"Row 6 has 10 cells, fewer than the {width} columns" in result.output
    assert "1 problem(s) found in trunc.csv: nothing was imported." in result.output
    french = run("import", str(path), "--code", "trunc-test", "--language", "fr", ok=False)
    assert f"La ligne 6 a 10 cellules, moins que les {width} colonnes" in french.output
    assert sealed(database_url) == 0
    # An XLSX row holds every column of the sheet: its empty cells at the end are read as empty.
    frame = pd.read_csv(wave_file(tmp_path, "w.csv", 3, 30, qid="cips-officials"), dtype=str,
                        keep_default_na=False)  # fmt: skip
    frame.iloc[4, 10:] = ""
    run("import", str(write(frame, tmp_path / "short.xlsx")))
    assert sealed(database_url) == 30


def test_a_csv_separated_by_semicolons_says_so(tmp_path):
    frame = pd.read_csv(wave_file(tmp_path, "w.csv", 4, 20), dtype=str, keep_default_na=False)
    path = tmp_path / "semi2.csv"
    frame.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    with pytest.raises(FileProblem) as refused:
        read_raw(path)
    assert refused.value.text.msgid == labels.FILE_SEMICOLONS
    result = run("import", str(path), ok=False)
    assert "The file semi2.csv is separated by semicolons (;)" in result.output
    assert "Save it as an Excel workbook (.xlsx)" in result.output
    assert "unknown questionnaire" not in result.output
    french = run("import", str(path), "--language", "fr", ok=False)
    assert "est séparé par des points-virgules" in french.output


def test_labels_in_another_language_are_named_and_the_report_is_bounded(tmp_path):
    run("import", str(wave_file(tmp_path, "tr23.csv", 5, 30, wave="2023")), "--code", "tr23")
    run("export", "--campaign", "tr23", "--labels", "ar", "-o", str(tmp_path / "tr23-ar.xlsx"))
    result = run("import", str(tmp_path / "tr23-ar.xlsx"), "--labels", "fr", ok=False)
    lines = result.output.strip().splitlines()
    assert len(lines) == MAX_PROBLEMS_SHOWN + 3
    count = int(lines[-1].split()[1])
    assert count > MAX_PROBLEMS_SHOWN * 2
    assert lines[MAX_PROBLEMS_SHOWN] == (
        f"… and {count - MAX_PROBLEMS_SHOWN} more problem(s), not shown."
    )
    hint = lines[MAX_PROBLEMS_SHOWN + 1]
    assert "are neither answer codes nor labels in Français (fr)" in hint
    assert "are labels in العربية (ar): the file seems to be in that language" in hint
    assert hint.endswith("(import it with --labels ar).")
    # Without --labels: codes were expected, and the file seems Arabic all the same.
    plain = run("import", str(tmp_path / "tr23-ar.xlsx"), "--language", "fr", ok=False).output
    assert "ne sont pas des codes de réponse, comme attendu sans --labels" in plain
    assert "(importez-le avec --labels ar)" in plain
    # One typo is only named on its row.
    frame = pd.read_csv(tmp_path / "tr23.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "p_lc1"] = "77"
    write(frame, tmp_path / "typo.csv")
    typo = run("import", str(tmp_path / "typo.csv"), ok=False).output.strip().splitlines()
    assert len(typo) == 2 and typo[0].startswith("Row 2, column p_lc1")

"""Every CSV and XLSX the product writes neutralizes text a spreadsheet would run (DESIGN.md,
Anonymity 8), and free-text answers leave it only detached (Anonymity 4).

The texts below go in the way the product gets them: typed by a respondent, stored as answers,
imported from a file, or (for the result tables) as administration, wave and category names.
Each file is then read the way an analyst opens it: CSV with a CSV reader, XLSX with openpyxl.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from analysis.frames import Dataset, build_response_set
from analysis.importing import import_file
from analysis.interchange import read_raw, write
from analysis.output import write_results
from analysis.results import analyze
from analysis.spreadsheets import restore_text, safe_text, safe_value, xlsx_text
from analysis.synthetic import generate_wave
from cips.cli import context
from survey import sealing
from survey.campaigns import create_administration, create_campaign
from survey.engine import ConversationEngine, ReplyKind
from survey.loader import load_questionnaires
from survey.questionnaire import Choice, Question, Questionnaire, QuestionType, Survey
from survey.storage.models import (
    Answer,
    Campaign,
    Respondent,
    RespondentStatus,
    SealedResponse,
    utcnow,
)
from tests.cli_support import run_cips
from tests.conftest import TEST_SECRET
from tests.engine_driver import Respondent as Person

pytest_plugins = ["tests.web_fixtures"]
QUESTIONNAIRES = load_questionnaires()
# What a spreadsheet takes for the start of a formula (kept here, not imported, so that a rule
# that forgets one fails).
RUNS = ("=", "+", "-", "@", "\t", "\r")
TEXTS = ["=1+1", "@SUM(A1)", "-2+3", "+cmd", "\tx", "\rx"]
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_rows(data: bytes | Path) -> list[list[str]]:
    text = (data if isinstance(data, bytes) else data.read_bytes()).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_csv_safe(rows: list[list[str]], texts: list[str]) -> list[str]:
    """No cell would run; each of `texts` is there after an apostrophe. The cells, flat."""
    cells = [cell for row in rows for cell in row]
    runnable = [c for c in cells if c.startswith(RUNS) and not PLAIN_NUMBER.fullmatch(c)]
    assert not runnable, runnable
    for text in texts:
        assert "'" + text in cells, (text, cells[:40])
    return cells


def xlsx_cells(data: bytes | Path) -> list:
    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_xlsx_safe(cells: list, texts: list[str]) -> list:
    """No cell is a formula (or an error value), none would run once typed in again; each of
    `texts` reads back intact after an apostrophe. The values, OOXML escapes decoded."""
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [xlsx_text(c.value) for c in cells]
    for cell, value in zip(cells, values, strict=True):
        if isinstance(value, str):
            assert cell.data_type == "s", (cell.coordinate, value)
            assert not value.startswith(RUNS) or PLAIN_NUMBER.fullmatch(value), value
    for text in texts:
        assert "'" + text in values, (text, values[:40])
    return values


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize("text", [*TEXTS, "=", "-", "- item", "@", "\t", "\r\n2"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert safe_text(text) == "'" + text
    assert safe_text(safe_text(text)) == safe_text(text), "once is enough"
    assert restore_text(safe_text(text)) == text


@pytest.mark.parametrize(
    "value", ["-1", "+2.5", "-0.5e3", "3", "a=b", "x-1", "", 4, -1, -2.5, None]
)
def test_numbers_and_other_text_are_left_alone(value):
    assert safe_value(value) == value
    if isinstance(value, str):
        assert restore_text(value) == value


# ---------------------------------------------------------------- free text, detached


def _type_through(person: Person, question_id: str, text: str) -> None:
    """Answer every question with its first button (3 where a number is asked), typing `text`
    at the free-text question."""
    for _ in range(500):
        prompt = person.prompt
        if prompt.kind is not ReplyKind.QUESTION or person.replies[-1].kind is ReplyKind.INFO:
            return
        if prompt.question_id == question_id:
            person.type(text)
            continue
        buttons = [b for b in prompt.buttons if b.row != "nav"]
        if not buttons:
            person.type("3")
            continue
        person.press(buttons[0].value)
        if buttons[0].action == "t":
            person.press("Done")
    raise AssertionError("the survey did not end")


@pytest.fixture
def free_text_campaign(db, database_url, monkeypatch):
    """A campaign of cips-officials whose free-text answers are TEXTS and 20 plain comments,
    each respondent with other answers too; one of them typed in through the engine."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    questionnaire = QUESTIONNAIRES["cips-officials"]
    with db.transaction() as session:
        admin = create_administration(session, "CI", "Douanes", "Africa/Abidjan", ["en"])
        create_campaign(session, admin, questionnaire, "2026", code="ci-free")
    engine = ConversationEngine(db, QUESTIONNAIRES, TEST_SECRET, languages=lambda: ["en"])
    person = Person(engine, "4242")
    person.join("ci-free")
    _type_through(person, "comments", TEXTS[0])
    stored = [*TEXTS[1:], *(f"comment {i}" for i in range(20)), "-1", "#N/A"]
    with db.transaction() as session:
        campaign = session.query(Campaign).filter_by(code="ci-free").one()
        people = [Respondent(campaign_id=campaign.id, language="fr",
                             status=RespondentStatus.COMPLETED) for _ in range(len(stored) + 1)]  # fmt: skip
        session.add_all(people)
        session.flush()
        for respondent, text in zip(people, [*stored, ""], strict=True):
            session.add(Answer(respondent_id=respondent.id, question_id="comments", value=text))
            session.add(Answer(respondent_id=respondent.id, question_id="gender", value="female"))
        session.flush()
        # Closed and sealed: texts leave only once none is linkable to a contact any more.
        campaign.closed_at = utcnow()
        assert sealing.seal_campaign(session, campaign, 10, closing=True) == len(people) + 1
    with db.transaction() as session:
        ids = set(session.scalars(select(SealedResponse.id)))
    yield [TEXTS[0], *stored], ids
    context.settings.cache_clear()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_free_text_export_is_detached_shuffled_and_safe(free_text_campaign, tmp_path, fmt):
    texts, respondent_ids = free_text_campaign
    out = tmp_path / f"free.{fmt}"
    result = run_cips(
        "export", "--campaign", "ci-free", "--free-text", "--format", fmt, "-o", str(out)
    )
    assert f"wrote {len(texts)} free-text answers" in result.output
    if fmt == "csv":
        rows = csv_rows(out)
        assert_csv_safe(rows, TEXTS)
    else:
        values = assert_xlsx_safe(xlsx_cells(out), TEXTS)
        rows = [values[i : i + 2] for i in range(0, len(values), 2)]
        numbers = [c for c in xlsx_cells(out) if c.data_type == "n"]
        assert not numbers, "free text stays text, even when it looks like a number"
    # Only (question, text): no id, language, status or other answer joined to a text.
    assert rows[0] == ["question", "text"]
    assert all(len(row) == 2 and row[0] == "comments" for row in rows[1:])
    assert Counter(restore_text(text) for _, text in rows[1:]) == Counter(texts)
    flat = {cell for row in rows for cell in row}
    assert not flat & respondent_ids and not flat & {"female", "fr", "completed"}
    # A fresh random order each time (the chance that two of 28! orders agree is nil).
    again = tmp_path / f"again.{fmt}"
    run_cips("export", "--campaign", "ci-free", "--free-text", "--format", fmt, "-o", str(again))
    reread = csv_rows(again) if fmt == "csv" else None
    if reread is None:
        values = [xlsx_text(c.value) for c in xlsx_cells(again)]
        reread = [values[i : i + 2] for i in range(0, len(values), 2)]
    assert sorted(map(tuple, reread)) == sorted(map(tuple, rows)) and reread != rows


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_respondent_file_has_no_free_text_and_include_text_is_gone(
    free_text_campaign, tmp_path
):
    out = tmp_path / "responses.csv"
    run_cips("export", "--campaign", "ci-free", "-o", str(out))
    rows = csv_rows(out)
    _, respondent_ids = free_text_campaign
    assert "comments" not in rows[0] and len(rows) == 1 + len(respondent_ids)
    assert not {cell for row in rows for cell in row} & {"'=1+1", "=1+1", "comment 3"}
    gone = run_cips("export", "--campaign", "ci-free", "--include-text", "-o", str(out), ok=False)
    assert "No such option '--include-text'" in gone.output
    mixed = run_cips("export", "--campaign", "ci-free", "--free-text", "--labels", "fr", "-o",
                     str(out), ok=False)  # fmt: skip
    assert "--labels does not apply to --free-text" in mixed.output


# ---------------------------------------------------------------- respondent-level files


def test_interchange_files_neutralize_text_and_keep_numbers(tmp_path):
    questionnaire = QUESTIONNAIRES["cips-officials"]
    frame = generate_wave(questionnaire, len(TEXTS), administration="CI", wave="2026", seed=1)
    frame["respondent_id"] = TEXTS  # any text column will do: these are what a cell may hold
    frame["lc1"] = ["-1", "4", "5", "DK", "3", "1"]
    csv_path = write(frame, tmp_path / "wave.csv")
    cells = assert_csv_safe(csv_rows(csv_path), TEXTS)
    assert "-1" in cells and "'-1" not in cells, "a number is not text to neutralize"
    xlsx_path = write(frame, tmp_path / "wave.xlsx")
    book = xlsx_cells(xlsx_path)
    assert_xlsx_safe(book, TEXTS)
    lc1 = [c.value for c in book if c.column_letter == "M"][1:]
    assert lc1 == [-1, 4, 5, "DK", 3, 1], "scale points stay numbers a spreadsheet computes with"
    # Read back (as `cips import` does), the texts are the ones written (the reader trims
    # surrounding whitespace, as for any cell).
    for path in (csv_path, xlsx_path):
        raw = read_raw(path)
        assert [row[0] for row in raw.rows] == [t.strip() for t in TEXTS]
        assert [row[raw.header.index("lc1")] for row in raw.rows] == list(frame["lc1"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cips_import_export_and_analyze_keep_a_wave_label_inert(db, database_url, monkeypatch,
                                                                tmp_path):  # fmt: skip
    """A wave label may start with '-': imported from a file, it comes out neutralized from
    `cips export` and `cips analyze`, in CSV and XLSX, and goes back in unchanged."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    with db.transaction() as session:
        create_administration(session, "CI", "Douanes", "Africa/Abidjan", ["en"])
    frame = generate_wave(QUESTIONNAIRES["cips-officials"], 40, administration="CI", wave="-cmd",
                          seed=2)  # fmt: skip
    source = write(frame, tmp_path / "source.csv")
    assert "'-cmd" in assert_csv_safe(csv_rows(source), ["-cmd"])
    run_cips("import", str(source), "--code", "ci-cmd")
    try:
        for fmt in ("csv", "xlsx"):
            out = tmp_path / f"export.{fmt}"
            run_cips("export", "--campaign", "ci-cmd", "--format", fmt, "-o", str(out))
            if fmt == "csv":
                exported = pd.read_csv(out, dtype=str, keep_default_na=False)
                assert set(exported["wave"]) == {"'-cmd"}
                assert_csv_safe(csv_rows(out), ["-cmd"])
            else:
                values = assert_xlsx_safe(xlsx_cells(out), ["-cmd"])
                assert any(isinstance(v, int) for v in values), "answers stay numbers"
            # The same responses again, on purpose: only the round trip is tested here.
            run_cips("import", str(out), "--code", f"again-{fmt}", "--allow-duplicates")
            with db.transaction() as session:
                assert session.query(Campaign).filter_by(code=f"again-{fmt}").one().wave == "-cmd"

            folder = tmp_path / f"analyze-{fmt}"
            run_cips("analyze", "--format", fmt, "--out", str(folder))
            if fmt == "csv":
                factors = csv_rows(folder / "factors.csv")
                assert_csv_safe(factors, ["-cmd"])
                assert_csv_safe(csv_rows(folder / "kpis.csv"), ["-cmd"])  # a column named so
                score = factors[0].index("score")
                assert any(PLAIN_NUMBER.fullmatch(row[score]) for row in factors[1:])
            else:
                values = assert_xlsx_safe(xlsx_cells(folder / "results.xlsx"), ["-cmd"])
                assert any(isinstance(v, float) for v in values), "scores stay numbers"
    finally:
        context.settings.cache_clear()


# ---------------------------------------------------------------- result tables


def test_result_tables_neutralize_every_name_and_keep_negative_numbers(tmp_path):
    """Administration, wave and category names that would run, in every result table; a
    negative gap stays a number."""
    groups = tuple(Choice(code, code) for code in TEXTS[2:])
    group = Question("group", QuestionType.SINGLE_CHOICE, "Group?", demographic=True,
                     choices=groups)  # fmt: skip

    def survey(qid: str, kind: Survey, item: str, link: str) -> Questionnaire:
        question = Question(item, QuestionType.AGREEMENT, item, factor=1, link=link)
        return Questionnaire(id=qid, version="1", survey=kind, title=qid, source_language="en",
                             demographics=(group,), items=(question,))  # fmt: skip

    def answers(q: Questionnaire, item: str, values: list[str]):
        n = len(values)
        frame = pd.DataFrame({"respondent_id": [f"r{i}" for i in range(n)], "language": "en",
                              "completed": True, "group": [TEXTS[2 + i % 4] for i in range(n)],
                              item: values})  # fmt: skip
        return build_response_set(q, TEXTS[0], TEXTS[1], frame)

    officials = answers(survey("off", Survey.OFFICIALS, "o1", "p1"), "o1", ["4", "2", "1"] * 16)
    private = answers(survey("ps", Survey.PRIVATE_SECTOR, "p1", "o1"), "p1", ["5", "4"] * 24)
    results = analyze(Dataset([officials, private]), min_cell=10)
    assert (results.gaps["difference"] < 0).all()

    write_results(results, tmp_path / "csv", "csv")
    for table in ("items", "factors"):
        assert_csv_safe(csv_rows(tmp_path / "csv" / f"{table}.csv"), TEXTS)
    for table in ("problems", "kpis"):  # kpis: a column is named after the wave
        assert_csv_safe(csv_rows(tmp_path / "csv" / f"{table}.csv"), TEXTS[:2])
    gaps = csv_rows(tmp_path / "csv" / "gaps.csv")
    assert_csv_safe(gaps, TEXTS[:2])
    difference = gaps[0].index("difference")
    assert all(float(row[difference]) < 0 and row[difference][0] == "-" for row in gaps[1:])

    write_results(results, tmp_path / "xlsx", "xlsx")
    cells = xlsx_cells(tmp_path / "xlsx" / "results.xlsx")
    assert_xlsx_safe(cells, TEXTS)
    negative = [c.value for c in cells if isinstance(c.value, float) and c.value < 0]
    assert negative and all(c.data_type == "n" for c in cells if isinstance(c.value, float))


# ---------------------------------------------------------------- web downloads


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_web_downloads_neutralize_text(world, signed_in, tmp_path):
    frame = generate_wave(QUESTIONNAIRES["cips-officials"], 40, administration="CI", wave="-cmd",
                          seed=3)  # fmt: skip
    path = write(frame, tmp_path / "wave.csv")
    with world.db.transaction() as session:
        import_file(session, path, QUESTIONNAIRES["cips-officials"])
    client = signed_in("ci-analyst")
    workbook = client.get("/results/CI/-cmd/results.xlsx")
    assert workbook.status_code == 200
    values = assert_xlsx_safe(xlsx_cells(workbook.data), ["-cmd"])
    assert any(isinstance(v, float) for v in values), "scores stay numbers"
    responses = client.get("/results/CI/-cmd/responses/cips-officials.csv")
    assert responses.status_code == 200
    assert_csv_safe(csv_rows(responses.data), ["-cmd"])
    labelled = client.get("/results/CI/-cmd/responses/cips-officials.xlsx?labels=fr")
    assert labelled.status_code == 200
    values = assert_xlsx_safe(xlsx_cells(labelled.data), ["-cmd"])
    assert "Tout à fait d'accord" in values

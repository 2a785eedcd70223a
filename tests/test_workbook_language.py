"""The results workbook in the reader's language (issue 20, item 3): `cips analyze --language L
--format xlsx` writes headers, survey names, key factor names, the statements, the breakdown
questions and their answers, and the notes in L, read back with openpyxl and compared with the
catalogs themselves; Arabic sheets run right to left; the codes stay, in columns of their own."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook

from analysis.interchange import write
from analysis.synthetic import generate_wave
from cips.cli import context
from survey.factors import FACTOR_BY_NUMBER
from survey.i18n import locales_dir
from survey.loader import load_questionnaires
from tests.cli_support import run_cips
from tests.conftest import TEST_SECRET

QUESTIONNAIRES = load_questionnaires()
OFFICIALS = QUESTIONNAIRES["cips-officials"]
PRIVATE = QUESTIONNAIRES["cips-private-sector"]
LANGUAGES = sorted(p.parent.parent.name for p in locales_dir().glob("*/LC_MESSAGES/messages.po"))


def catalog(language: str):
    with (locales_dir() / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def translated(language: str, msgid: str, context: str | None = None) -> str:
    """What the catalog of `language` holds for `msgid` (read with babel, not through cips)."""
    found = catalog(language).get(msgid, context)
    assert found is not None and found.string, (language, msgid, context)
    return found.string


def sheet_records(book, name: str) -> tuple[list[str], list[dict]]:
    rows = list(book[name].iter_rows(values_only=True))
    return list(rows[0]), [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    """`cips analyze --format xlsx` of a wave of officials and traders, in every language
    of locales/ (from files: no database needed)."""
    folder = tmp_path_factory.mktemp("waves")
    files = []
    for questionnaire in (OFFICIALS, PRIVATE):
        for wave, seed in (("2026", 2),):
            frame = generate_wave(questionnaire, 60, administration="BF", wave=wave, seed=seed)
            files.append(write(frame, folder / f"{questionnaire.id}-{wave}.csv"))
    books = {}
    with pytest.MonkeyPatch.context() as patch:  # module-wide: the autouse fixture comes later
        patch.setenv("CIPS_SECRET_KEY", TEST_SECRET)
        patch.chdir(folder)
        for language in LANGUAGES:
            out = folder / language
            arguments = ["analyze", "--format", "xlsx", "--out", str(out), "--language", language]
            for path in files:
                arguments += ["--input", str(path)]
            run_cips(*arguments)
            books[language] = load_workbook(out / "results.xlsx")
        context.settings.cache_clear()
    return books


@pytest.mark.parametrize("language", ["fr", "ar", "es", "pt"])
def test_the_kpi_measures_are_named_as_their_columns(workbooks, language):
    headers, kpis = sheet_records(workbooks[language], "kpis")
    measure, code = translated(language, "Measure"), translated(language, "Measure (code)")
    assert {measure, code} <= set(headers)
    assert headers.index(measure) + 1 == headers.index(code)
    assert {row[code] for row in kpis} == {"score", "pct_favourable"}
    assert {row[measure] for row in kpis} == {translated(language, "Score (0-100)"),
                                              translated(language, "Favourable (%)")}  # fmt: skip


@pytest.mark.parametrize("language", ["fr", "ar", "es", "pt"])
def test_statements_groups_and_names_are_the_catalogs(workbooks, language):
    book = workbooks[language]
    headers, items = sheet_records(book, "items")
    statement = translated(language, "Statement")
    item_code = translated(language, "Item (code)")
    survey, survey_code = translated(language, "Survey"), translated(language, "Survey (code)")
    group, group_code = translated(language, "Group"), translated(language, "Group (code)")
    breakdown = translated(language, "Breakdown")
    assert {statement, item_code, survey, survey_code, group, group_code, breakdown} <= set(headers)
    # Every statement of both questionnaires, as the catalog translates it, beside its code.
    for questionnaire in (OFFICIALS, PRIVATE):
        for item in questionnaire.scored_items:
            text = translated(language, item.text, f"{questionnaire.id}:{item.id}")
            found = {r[statement] for r in items if r[item_code] == item.id}
            assert found == {text}, item.id
            assert text != item.text or language == "en"
    # Survey names and the breakdowns' questions and answers.
    officials = translated(language, "Customs officials")
    assert {r[survey] for r in items if r[survey_code] == "officials"} == {officials}
    woman = translated(language, "Woman", f"{OFFICIALS.id}:gender:female")
    gender = translated(language, OFFICIALS.question("gender").text, f"{OFFICIALS.id}:gender")
    rows = [r for r in items if r[survey_code] == "officials" and r[group_code] == "female"]
    assert rows and {(r[breakdown], r[group]) for r in rows} == {(gender, woman)}
    # Key factor names where the table had only numbers, and the notes.
    factor_name = translated(language, "Key factor name")
    leadership = translated(language, FACTOR_BY_NUMBER[1].name)
    assert {r[factor_name] for r in items if r[item_code] == "lc1"} == {leadership}
    about = [row[0] for row in book["about"].iter_rows(values_only=True) if row and row[0]]
    assert about[0] == translated(language, "About these tables")
    assert any(line.startswith(translated(language, "Straight-lining, {survey}, {administration} "
               "{wave}: {count} of the {judged} respondents who answered at least {min} "
               "statements of two or more key factors gave one answer to every statement of "
               "each of those factors ({respondents} respondents in all).").split("{")[0])
               for line in about)  # fmt: skip


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_no_header_is_left_as_a_column_id(workbooks, language):
    for sheet in workbooks[language].worksheets[1:]:
        headers = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
        # ("n" is the header of a count in French too)
        raw = [h for h in headers if h and re.fullmatch(r"[a-z_]+", h) and h != "n"]
        assert not raw, (sheet.title, raw)


def test_arabic_sheets_run_right_to_left_and_others_do_not(workbooks):
    assert all(sheet.sheet_view.rightToLeft for sheet in workbooks["ar"].worksheets)
    assert not any(sheet.sheet_view.rightToLeft for sheet in workbooks["fr"].worksheets)


def test_every_table_keeps_its_codes_beside_the_names(workbooks):
    book = workbooks["fr"]
    _, factors = sheet_records(book, "factors")
    code, name = "Facteur clé (code)", "Nom du facteur clé"
    assert {"1", "10", "integrity_index"} <= {r[code] for r in factors}
    assert {r[name] for r in factors if r[code] == "integrity_index"} == {
        "Indice global d'intégrité"
    }
    _, gaps = sheet_records(book, "gaps")
    linked = [r for r in gaps if r["Question liée (code)"]]
    assert linked and all(r["Énoncé lié"] for r in linked)
    lc1 = next(r for r in linked if r["Question (code)"] == "lc1")
    assert lc1["Énoncé lié"] == translated("fr", PRIVATE.question(lc1["Question liée (code)"]).text,
                                           f"{PRIVATE.id}:{lc1['Question liée (code)']}")  # fmt: skip
    _, problems = sheet_records(book, "problems")
    assert {r["Niveau"] for r in problems} <= {"Facteur clé", "Énoncé", "Groupe"}
    assert {r["Niveau (code)"] for r in problems} <= {"factor", "item", "group"}

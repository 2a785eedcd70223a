"""`cips codebook`: checked against the questionnaire files themselves (read here with tomllib,
not the loader): every question present, reverse flags and key factor numbers right, skip logic
readable, in French and Arabic, as Markdown and XLSX (right to left in Arabic, text that a
spreadsheet would run neutralized)."""

from __future__ import annotations

import re
import tomllib

import pytest
from openpyxl import load_workbook

from analysis.codebook import build_codebook, write_codebook
from analysis.spreadsheets import xlsx_text
from survey.loader import builtin_paths
from survey.questionnaire import Choice, Question, Questionnaire, QuestionType, Survey
from tests.cli_support import run_cips

FILES = {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in builtin_paths()}
YES = {"fr": "Oui", "ar": "نعم"}
NO = {"fr": "Non", "ar": "لا"}
HEADERS = {  # the catalog's words for the columns the test reads
    "fr": {"question": "Question", "factor": "Facteur clé", "reverse": "Codage inversé",
           "shown_if": "Posée seulement si", "label": "Libellé", "missing": "Codes de valeurs manquantes"},
    "ar": {"question": "السؤال", "factor": "العامل الرئيسي", "reverse": "ترميز معكوس",
           "shown_if": "يُطرح فقط إذا", "label": "التسمية", "missing": "رموز القيم المفقودة"},
}  # fmt: skip
HEADER_CONSTRUCTS = {"fr": "Indices composites", "ar": "المؤشرات المركّبة"}


def file_questions(questionnaire_id: str) -> list[dict]:
    data = FILES[questionnaire_id]
    return [*data.get("demographics", []), *data["items"]]


def markdown_entries(text: str) -> dict[str, dict[str, str]]:
    """`## name` sections of `- **Header**: value` lines, keyed by the question id."""
    entries = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        fields = dict(re.findall(r"^- \*\*(.+?)\*\*: (.*)$", section, flags=re.M))
        entries[section.splitlines()[0].strip()] = fields
    return entries


def xlsx_entries(path) -> tuple[dict[str, dict[str, str]], object]:
    book = load_workbook(path)
    sheet = book["codebook"]
    rows = [[xlsx_text(c.value) for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    entries = {}
    for row in rows[1:]:
        fields = {h: v for h, v in zip(header, row, strict=True) if v not in (None, "")}
        entries[row[0] or row[1]] = fields
    return entries, book


@pytest.mark.parametrize("language", ["fr", "ar"])
@pytest.mark.parametrize("fmt", ["md", "xlsx"])
@pytest.mark.parametrize("questionnaire_id", ["cips-officials", "cips-private-sector"])
def test_the_codebook_matches_the_questionnaire_file(tmp_path, language, fmt, questionnaire_id):
    path = tmp_path / f"codebook.{fmt}"
    run_cips("codebook", "--questionnaire", questionnaire_id, "--language", language, "-o",
             str(path))  # fmt: skip
    if fmt == "md":
        text = path.read_text(encoding="utf-8")
        assert text.startswith('<div dir="rtl">') == (language == "ar")
        entries = markdown_entries(text)
    else:
        entries, book = xlsx_entries(path)
        assert all(s.sheet_view.rightToLeft == (language == "ar") for s in book.worksheets)
    words = HEADERS[language]
    questions = file_questions(questionnaire_id)
    assert [q["id"] for q in questions] == [e for e in entries if e in {q["id"] for q in questions}]
    for question in questions:
        entry = entries[question["id"]]
        assert entry[words["question"]] == question["id"]
        if "factor" in question:
            assert int(entry[words["factor"]]) == question["factor"], question["id"]
        else:
            assert words["factor"] not in entry
        if question["type"] == "agreement":
            wanted = YES if question.get("reverse") else NO
            assert entry[words["reverse"]] == wanted[language], question["id"]
            assert ".a, .b" in entry[words["missing"]]
        if "show_if" in question:
            assert question["show_if"]["question"] in entry[words["shown_if"]]
        else:
            assert words["shown_if"] not in entry
    reverse = [q["id"] for q in questions if q.get("reverse")]
    assert len(reverse) >= 5
    # Skip logic in words: the earlier question, its code and the answer's label.
    if questionnaire_id == "cips-officials":
        shown = entries["wit_reason"][words["shown_if"]]
        assert shown.startswith("wit_reported") and f"2 ({NO[language]})" in shown
        assert "whistleblower_protection" in entries["ai1"][HEADER_CONSTRUCTS[language]]


@pytest.mark.parametrize(
    ("language", "said"),
    [("fr", "libellés en français."), ("es", "en español."), ("pt", "em português."),
     ("en", "labels in English.")],
)  # fmt: skip
def test_the_language_is_named_as_a_sentence_names_it(language, said):
    about = build_codebook(_questionnaire("A statement"), language).about
    assert said in about, about


def test_long_labels_show_their_stata_cut():
    book = build_codebook(_questionnaire("A statement " * 10), "en")
    entry = next(e for e in book.entries if e.question == "s1")
    assert len(entry.label) > 80 and entry.stata_label.endswith("…")
    assert len(entry.stata_label) <= 80 and entry.spss_label == ""


def _questionnaire(text: str) -> Questionnaire:
    return Questionnaire(
        id="custom", version="1", survey=Survey.OTHER, title="Custom",
        source_language="en", demographics=(),
        items=(
            Question("s1", QuestionType.AGREEMENT, text, factor=3, reverse=True),
            Question("s2", QuestionType.SINGLE_CHOICE, "Pick",
                     choices=(Choice("a", "@cmd"), Choice("dk", "Don't know"))),
        ),
    )  # fmt: skip


def test_xlsx_text_that_a_spreadsheet_would_run_is_neutralized(tmp_path):
    book = build_codebook(_questionnaire("=1+1 is a statement"), "en")
    path = write_codebook(book, tmp_path / "custom.xlsx")
    cells = [c for s in load_workbook(path).worksheets for row in s.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [xlsx_text(c.value) for c in cells]
    assert "'=1+1 is a statement" in values
    runnable = [v for v in values if isinstance(v, str) and v.startswith(("=", "+", "-", "@"))]
    assert not runnable, runnable
    # A choice coded dk is Don't know: missing code 8 (one substantive answer), Stata .a.
    s2 = next(e for e in book.entries if e.question == "s2")
    assert s2.values == "1 = @cmd; 8 = Don't know" and "8" in s2.missing and ".a" in s2.missing

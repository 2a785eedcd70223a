"""`cips export --format sav|dta`: SPSS and Stata files of a released campaign, read back with
pyreadstat the way an analyst (or R's haven) opens them: values intact, variable and value
labels in the chosen language, Don't know and Prefer not to answer declared missing (SPSS
user-missing codes 8/9, Stata `.a`/`.b`), labels cut to the formats' limits as the codebook
says; refused for an open campaign or fewer than k responses, and never with free text."""

from __future__ import annotations

import math

import pandas as pd
import pyreadstat
import pytest

from analysis.codebook import build_codebook
from analysis.interchange import write
from analysis.label_limits import ELLIPSIS, shorten
from analysis.statfiles import label_set_names, write_stat_file
from analysis.synthetic import generate_wave
from analysis.variables import file_variables, valid_name
from cips.cli import context
from survey.campaigns import create_administration, create_campaign
from survey.engine.questions import question_text
from survey.i18n import Text, render
from survey.loader import load_questionnaires
from survey.questionnaire import Choice, Question, Questionnaire, QuestionType, Survey
from tests.cli_support import run_cips

QUESTIONNAIRES = load_questionnaires()
OFFICIALS = QUESTIONNAIRES["cips-officials"]
# The codes the files promise (README, "SPSS and Stata"), written out here rather than taken
# from the code under test.
AGREEMENT = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "DK": 8, "PNA": 9}
STATA_LETTER = {8: "a", 9: "b"}
SCALE = {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree",
         5: "Strongly agree", 8: "Don't know", 9: "Prefer not to answer"}  # fmt: skip


def expected_number(question: Question, cell: str) -> int | None:
    """The number a cell of the interchange format must become."""
    if cell == "":
        return None
    if question.type is QuestionType.AGREEMENT:
        return AGREEMENT[cell]
    if cell == "pna":
        return 9
    return [c.code for c in question.choices if c.code != "pna"].index(cell) + 1


@pytest.fixture
def cips(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    run_cips("administration", "create", "BF", "--name", "Burkina Faso", "--timezone", "UTC")
    yield run_cips
    context.settings.cache_clear()


@pytest.fixture
def released(cips, tmp_path):
    """A closed campaign of cips-officials holding an imported made-up wave of 60 people
    (some Don't know, some Prefer not to answer, some who stopped), and its CSV export."""
    frame = generate_wave(OFFICIALS, 60, administration="BF", wave="2025", seed=3)
    assert {"DK", "PNA"} <= set(frame["lc1"]) and "" in set(frame["wit_reason"])
    cips("import", str(write(frame, tmp_path / "wave.csv")), "--code", "bf-2025")
    cips("export", "--campaign", "bf-2025", "-o", str(tmp_path / "codes.csv"))
    codes = pd.read_csv(tmp_path / "codes.csv", dtype=str, keep_default_na=False)
    return codes.set_index("respondent_id")


def read(path, user_missing=True):
    reader = pyreadstat.read_sav if path.suffix == ".sav" else pyreadstat.read_dta
    data, meta = reader(str(path), user_missing=user_missing)
    return data.set_index("respondent_id"), meta


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_a_released_campaign_round_trips_with_labels_and_missing_codes(
    cips, released, tmp_path, fmt
):
    path = tmp_path / f"bf.{fmt}"
    out = cips("export", "--campaign", "bf-2025", "--format", fmt, "--labels", "fr", "-o",
               str(path)).output  # fmt: skip
    assert "wrote 60 respondents" in out
    data, meta = read(path)
    assert sorted(data.index) == sorted(released.index)
    assert "comments" not in data.columns, "free text never goes into a respondent-level file"
    questions = [q for q in OFFICIALS.questions if q.type is not QuestionType.TEXT]
    assert list(data.columns[6:]) == [*(q.id for q in questions), "straightliner"]
    assert list(data["completed"].loc[released.index]) == [
        1 if c == "true" else 0 for c in released["completed"]
    ]
    for question in questions:
        for rid, cell in released[question.id].items():
            got, number = data.at[rid, question.id], expected_number(question, cell)
            if number is None:
                assert isinstance(got, float) and math.isnan(got), (question.id, rid, got)
            elif fmt == "dta" and number in STATA_LETTER:
                assert got == STATA_LETTER[number], (question.id, rid, got)
            else:
                assert got == number, (question.id, rid, cell, got)

    # Variable labels: the statement in French (cut to 80 characters for Stata).
    labels = meta.column_names_to_labels
    for question in questions:
        full = render(question_text(OFFICIALS, question), "fr")
        if fmt == "sav" or len(full) <= 80:
            assert labels[question.id] == full
        else:
            short = labels[question.id]
            assert len(short) <= 80 and short.endswith(ELLIPSIS), short
            kept = short[: -len(ELLIPSIS)]
            assert full.startswith(kept) and full[len(kept)] in " ,;:", (short, full)
            assert len(kept) > 60, "cut at the last word boundary, not earlier"
    assert labels["completed"] == "A terminé l'enquête"

    # Value labels: the scale and the options in French; missing codes declared.
    scale = {STATA_LETTER.get(k, k) if fmt == "dta" else k: render(Text(v), "fr")
             for k, v in SCALE.items()}  # fmt: skip
    assert meta.variable_value_labels["lc1"] == scale
    gender = meta.variable_value_labels["gender"]
    assert gender[1] == "Femme" and gender[2] == "Homme"
    assert gender["b" if fmt == "dta" else 9] == "Je préfère ne pas le dire"
    if fmt == "sav":
        assert meta.missing_ranges["lc1"] == [{"lo": 8.0, "hi": 8.0}, {"lo": 9.0, "hi": 9.0}]
        assert meta.missing_ranges["gender"] == [{"lo": 9.0, "hi": 9.0}]
        assert meta.variable_measure["lc1"] == "ordinal"
    else:
        assert meta.missing_user_values["lc1"] == ["a", "b"]
        assert meta.missing_user_values["gender"] == ["b"]

    # Read as a plain analysis reads it, Don't know and Prefer not to answer are missing.
    plain, _ = read(path, user_missing=False)
    for rid, cell in released["lc1"].items():
        if cell in ("DK", "PNA", ""):
            assert math.isnan(plain.at[rid, "lc1"])
        else:
            assert plain.at[rid, "lc1"] == int(cell)


def test_the_codebook_shows_the_labels_stata_and_spss_files_hold(cips, released, tmp_path):
    cips("export", "--campaign", "bf-2025", "--labels", "fr", "-o", str(tmp_path / "bf.dta"))
    _, meta = read(tmp_path / "bf.dta")
    book = {e.variable: e for e in build_codebook(OFFICIALS, "fr").entries}
    cut = [name for name, entry in book.items() if entry.stata_label]
    assert len(cut) > 10
    for name, label in meta.column_names_to_labels.items():
        assert label == (book[name].stata_label or book[name].label), name


def test_arabic_value_labels_are_cut_to_what_spss_holds(cips, released, tmp_path):
    cips("export", "--campaign", "bf-2025", "--labels", "ar", "-o", str(tmp_path / "bf.sav"))
    _, meta = read(tmp_path / "bf.sav")
    variables = {v.name: v for v in file_variables(OFFICIALS, "ar")}
    long_ones = 0
    for name, values in meta.variable_value_labels.items():
        for code, text in values.items():
            full = variables[name].value_labels[int(code)]
            assert len(text.encode()) <= 120
            if len(full.encode()) > 120:
                long_ones += 1
                assert text.endswith(ELLIPSIS) and full.startswith(text[: -len(ELLIPSIS)])
            else:
                assert text == full
    assert long_ones, "the Arabic catalog has an option label longer than 120 bytes"


def test_an_open_campaign_or_fewer_than_k_responses_give_no_file(cips, db, tmp_path):
    with db.transaction() as session:
        admin = create_administration(session, "CI", "Douanes", "UTC", ["en"])
        create_campaign(session, admin, OFFICIALS, "2026", code="ci-open")
    for fmt in ("sav", "dta"):
        out = cips("export", "--campaign", "ci-open", "--format", fmt, "-o",
                   str(tmp_path / f"open.{fmt}"), ok=False).output  # fmt: skip
        assert "is open" in out
        assert not (tmp_path / f"open.{fmt}").exists()
    few = generate_wave(OFFICIALS, 5, administration="BF", wave="2024", seed=1)
    cips("import", str(write(few, tmp_path / "few.csv")), "--code", "bf-few")
    out = cips("export", "--campaign", "bf-few", "-o", str(tmp_path / "few.sav"), ok=False).output
    assert "fewer than 10" in out and not (tmp_path / "few.sav").exists()
    out = cips("export", "--campaign", "bf-few", "--free-text", "-o", str(tmp_path / "t.sav"),
               ok=False).output  # fmt: skip
    assert "csv or xlsx" in out


# ---------------------------------------------------------------- without a database


def tiny_questionnaire() -> Questionnaire:
    """Question ids that are reserved words, a multiple-choice and a number question."""
    choices = (Choice("a", "Apples"), Choice("b", "Bananas"), Choice("pna", "Prefer not to say"))
    return Questionnaire(
        id="tiny", version="1", survey=Survey.OTHER, title="Tiny", source_language="en",
        demographics=(
            Question("in", QuestionType.SINGLE_CHOICE, "Where?", demographic=True,
                     choices=choices),
            Question("age", QuestionType.NUMBER, "How old are you?", demographic=True, min=18,
                     max=70),
        ),
        items=(
            Question("fruit", QuestionType.MULTIPLE_CHOICE, "Which fruit?", choices=choices),
            Question("with", QuestionType.AGREEMENT, "x " * 60, factor=1),
        ),
    )  # fmt: skip


def test_names_are_valid_for_spss_and_stata():
    for questionnaire in [*QUESTIONNAIRES.values(), tiny_questionnaire()]:
        names = [v.name for v in file_variables(questionnaire, "en", weighted=True)]
        assert len({n.lower() for n in names}) == len(names)
        assert all(valid_name(n) and len(n) <= 32 for n in names), names
    names = [v.name for v in file_variables(tiny_questionnaire(), "en")]
    assert names[7:] == ["in_", "age", "fruit_1", "fruit_2", "fruit_3", "with_", "straightliner"]
    assert not valid_name("in") and not valid_name("with") and not valid_name("str12")


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_multiple_choice_numbers_and_weights_round_trip(tmp_path, fmt):
    """The weight column is the extension point for raking weights (none exist yet): given
    weights, the file carries them as they are."""
    frame = pd.DataFrame(
        {"respondent_id": ["r1", "r2", "r3"], "questionnaire": "tiny", "survey": "other",
         "administration": "X", "wave": "1", "language": ["en", "fr", "ar"],
         "completed": ["true", "false", "true"], "in": ["b", "", "pna"], "age": ["18", "", "70"],
         "fruit": ["a;b", "", "pna"], "with": ["DK", "5", ""]}
    )  # fmt: skip
    weights = pd.Series([0.5, 1.25, 2.0])
    write_stat_file(frame, tiny_questionnaire(), tmp_path / f"t.{fmt}", "en", weights=weights)
    data, meta = read(tmp_path / f"t.{fmt}")
    dk = "a" if fmt == "dta" else 8
    pna = "b" if fmt == "dta" else 9
    assert list(data["in_"].fillna(-1)) == [2, -1, pna]
    assert list(data["age"].fillna(-1)) == [18, -1, 70]
    assert [list(data[f"fruit_{n}"].fillna(-1)) for n in (1, 2, 3)] == [
        [1, -1, 0], [1, -1, 0], [0, -1, 1]
    ]  # fmt: skip
    assert list(data["with_"].fillna(-1)) == [dk, 5, -1]
    assert list(data["weight"]) == [0.5, 1.25, 2.0]
    assert meta.column_names_to_labels["fruit_2"] == "Which fruit?: Bananas"
    assert meta.variable_value_labels["fruit_2"] == {0: "Not chosen", 1: "Chosen"}
    assert meta.column_names_to_labels["weight"] == "Weight"
    assert len(meta.column_names_to_labels["with_"]) == (80 if fmt == "dta" else 119)


# ---------------------------------------------------------------- the truncation rule


def test_shorten_cuts_at_a_word_boundary_and_fits_the_limits():
    text = "Senior managers in my administration talk openly with staff about integrity issues"
    assert shorten(text, max_chars=200) == text
    cut = shorten(text, max_chars=40)
    assert cut == "Senior managers in my administration…" and len(cut) <= 40
    assert shorten("x" * 100, max_chars=10) == "x" * 9 + ELLIPSIS, "one long word is cut inside"
    arabic = "هل هناك أي شيء آخر تودّ أن تخبرنا به عن النزاهة في الجمارك"
    cut = shorten(arabic, max_bytes=40)
    assert len(cut.encode()) <= 40 and cut.endswith(ELLIPSIS)
    assert arabic.startswith(cut[:-1]) and arabic[len(cut) - 1] == " "
    assert shorten("Which of these, exactly, matters most", max_chars=20) == "Which of these…"


def test_stata_value_label_sets_are_not_named_like_variables(tmp_path):
    # pyreadstat names each set after its variable plus a counter: lc1's set was "lc15" (the
    # name of another item), with_'s "with_6". Read back by pyreadstat and by pandas' own reader.
    frame = generate_wave(OFFICIALS, 20, administration="BF", wave="1")
    path = tmp_path / "officials.dta"
    variables = write_stat_file(frame, OFFICIALS, path, "fr")
    names = [v.name for v in variables]
    _, meta = read(path)
    assert meta.variable_to_label
    for variable, label_set in meta.variable_to_label.items():
        assert label_set == f"lbl_{variable}"[:32] and label_set not in names
    with pd.read_stata(path, iterator=True) as reader:
        sets = reader.value_labels()
    assert set(sets) == set(meta.variable_to_label.values())
    assert sets["lbl_lc1"][5] == meta.variable_value_labels["lc1"][5]
    long = ["x" * 32, "x" * 29 + "abc", "x" * 28 + "abcd", "short"]
    chosen = label_set_names(long)
    assert all(len(n) <= 32 for n in chosen.values()) and len(set(chosen.values())) == 4
    assert chosen["short"] == "lbl_short" and chosen["x" * 32] == "lbl_" + "x" * 28

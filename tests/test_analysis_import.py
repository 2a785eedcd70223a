"""`cips import`, `cips export` and `cips analyze` as an analyst runs them, on SQLite and
PostgreSQL: imported waves reproduce the figures of the file exactly, bad files are refused with
every problem named, and live answers flow into the same analysis."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from sqlalchemy import func, select

from analysis import (
    analyze,
    generate_wave,
    import_file,
    load_database,
    load_files,
    read_raw,
    validate,
)
from analysis.interchange import write
from analysis.output import write_results
from analysis.validation import InvalidFile
from cips.cli import context
from survey.campaign_editing import close_now
from survey.campaigns import create_administration, create_campaign
from survey.engine import ConversationEngine
from survey.loader import load_questionnaires
from survey.storage.models import Campaign, SealedAnswer, SealedResponse, utcnow
from tests.cli_support import run_cips
from tests.conftest import TEST_SECRET
from tests.engine_driver import Respondent as Person

QUESTIONNAIRES = load_questionnaires()


run = run_cips


@pytest.fixture
def cips(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    run("administration", "create", "BF", "--name", "Burkina Faso", "--timezone", "UTC")
    yield run
    context.settings.cache_clear()


def wave_file(tmp_path, qid: str, wave: str, suffix: str, seed: int, n: int = 80, shift=0.0):
    frame = generate_wave(QUESTIONNAIRES[qid], n, administration="BF", wave=wave, seed=seed,
                          shift=shift)  # fmt: skip
    return write(frame, tmp_path / f"{qid}-{wave}.{suffix}")


def counts(db_url: str) -> tuple[int, int, int]:
    from survey.storage.db import Database

    database = Database(db_url)
    with database.transaction() as session:
        found = tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Campaign, SealedResponse, SealedAnswer)
        )
    database.dispose()
    return found


def test_import_then_analyze_reproduces_the_files_figures_exactly(cips, tmp_path):
    files = [
        wave_file(tmp_path, "cips-officials", "2024", "csv", 1),
        wave_file(tmp_path, "cips-private-sector", "2024", "xlsx", 2),
        wave_file(tmp_path, "cips-officials", "2026", "xlsx", 3, shift=0.4),
    ]
    for path in files:
        assert "into the closed campaign bf-" in cips("import", str(path)).output
    cips("analyze", "--format", "csv", "--out", str(tmp_path / "db"))
    # The same files scored straight, without a database: every figure identical.
    write_results(analyze(load_files(files)), tmp_path / "files", "csv")
    for table in ("items", "factors", "gaps", "trends", "problems", "kpis"):
        from_db = (tmp_path / "db" / f"{table}.csv").read_text(encoding="utf-8")
        assert from_db == (tmp_path / "files" / f"{table}.csv").read_text(encoding="utf-8")
    factors = pd.read_csv(tmp_path / "db" / "factors.csv", keep_default_na=False)
    assert set(factors.wave.astype(str)) == {"2024", "2026"}
    trends = pd.read_csv(tmp_path / "db" / "trends.csv")
    assert set(trends.earlier_wave.astype(str)) == {"2024"}
    # Importing the same file again is refused.
    again = cips("import", str(files[0]), ok=False)
    assert "already imported" in again.output


def test_analyze_one_wave_in_every_format_with_charts(cips, tmp_path):
    for seed, wave in enumerate(("2024", "2026")):
        cips("import", str(wave_file(tmp_path, "cips-officials", wave, "csv", seed)))
    out = tmp_path / "out"
    cips("analyze", "--wave", "2026", "--format", "json", "--out", str(out), "--language", "fr",
         "--charts", "--kpi", "officials:item:ai2:pct_favourable")  # fmt: skip
    factors = json.loads((out / "factors.json").read_text(encoding="utf-8"))
    assert {row["wave"] for row in factors} == {"2026"}
    assert any(row["factor_name"] == "Audit et enquêtes" for row in factors)
    assert any(row["suppressed"] and row["score"] is None for row in factors)
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert [row["kpi"] for row in kpis] == ["officials:item:ai2:pct_favourable"]
    assert kpis[0]["2024"] is not None and kpis[0]["2026"] is not None
    charts = sorted(p.name for p in (out / "charts").iterdir())
    assert charts == ["factors_BF_2026_officials.png", "factors_BF_2026_officials.svg",
                      "trend_BF_officials_2026.png", "trend_BF_officials_2026.svg"]  # fmt: skip
    assert json.loads((out / "metadata.json").read_text())["min_cell"] == 10
    too_small = cips("analyze", "--format", "csv", "--out", str(out), "--min-cell", "4", ok=False)
    assert "at least 5" in too_small.output


def test_a_bad_file_is_refused_with_every_problem_by_row_and_column(cips, tmp_path, database_url):
    path = wave_file(tmp_path, "cips-officials", "2024", "csv", 4, n=12)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "lc1"] = "7"  # file row 3
    frame.loc[2, "gender"] = "martian"  # row 4
    frame.loc[3, "completed"] = "yes"  # row 5
    frame.loc[4, "respondent_id"] = frame.loc[0, "respondent_id"]  # row 6 repeats row 2
    frame.loc[5, "wave"] = "2025"  # row 7
    frame.loc[6, "language"] = "French!"  # row 8
    frame["colour"] = ""
    frame.to_csv(path, index=False)
    before = counts(database_url)
    result = cips("import", str(path), "--language", "fr", ok=False)
    lines = result.output.strip().splitlines()
    assert lines[:7] == [
        "Colonne colour (BI)\u202f: ni une colonne du format d'échange, ni une question de cips-officials",
        "Ligne 3, colonne lc1 (M)\u202f: « 7 » n'est pas une réponse de l'échelle d'accord (1-5, DK, PNA ou vide)",
        "Ligne 4, colonne gender (H)\u202f: « martian » ne fait pas partie des réponses\u202f: female, male, pna",
        "Ligne 5, colonne completed (G)\u202f: « yes » doit valoir true ou false",
        f"Ligne 6, colonne respondent_id (A)\u202f: l'identifiant de répondant « {frame.loc[0, 'respondent_id']} » figure aussi à la ligne 2",
        "Ligne 7, colonne wave (E)\u202f: « 2025 » devrait être « 2024 »",
        "Ligne 8, colonne language (F)\u202f: « French! » n'est pas un code de langue comme en, fr ou pt-BR",
    ]  # fmt: skip
    assert (
        "7 problème(s) trouvé(s) dans cips-officials-2024.csv\u202f: rien n'a été importé."
        in lines[-1]
    )
    assert counts(database_url) == before, "nothing may be written from a file with errors"
    unknown = cips("import", str(path), "--administration", "NOPE", "--questionnaire",
                   "cips-officials", ok=False)  # fmt: skip
    assert "should be “NOPE”" in unknown.output


def test_export_with_labels_round_trips_and_keeps_no_file_identifier(cips, tmp_path):
    path = wave_file(tmp_path, "cips-private-sector", "2024", "csv", 5, n=60)
    code = "bf-2024-ps-tablets"
    cips("import", str(path), "--code", code)
    cips("export", "--campaign", code, "--labels", "fr", "-o", str(tmp_path / "fr.xlsx"))
    cips("export", "--campaign", code, "--format", "csv", "-o", str(tmp_path / "codes"))
    exported = pd.read_csv(tmp_path / "codes.csv", dtype=str, keep_default_na=False)
    original = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(exported.columns) == [*original.columns, "straightliner"]  # derived, last
    exported = exported.drop(columns="straightliner")
    assert not set(exported.respondent_id) & set(original.respondent_id)
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in exported.respondent_id)
    # Same respondents, same answers (order aside): compare sorted rows without the ids.
    rows = lambda f: sorted(map(tuple, f.drop(columns="respondent_id").to_numpy().tolist()))  # noqa: E731
    assert rows(exported) == rows(original)
    labelled = pd.read_excel(tmp_path / "fr.xlsx", dtype=str, keep_default_na=False)
    assert "Tout à fait d'accord" in set(labelled["p_lc1"])
    # The same responses in French labels are refused in the same wave (they are there already),
    # unless asked for in so many words.
    refused = cips(
        "import", str(tmp_path / "fr.xlsx"), "--labels", "fr", "--code", "again", ok=False
    )
    assert "60 of the 60 responses of this file are already in wave 2024" in refused.output
    cips("import", str(tmp_path / "fr.xlsx"), "--labels", "fr", "--code", "again",
         "--allow-duplicates")  # fmt: skip
    cips("export", "--campaign", "again", "-o", str(tmp_path / "again.csv"))
    again = pd.read_csv(tmp_path / "again.csv", dtype=str, keep_default_na=False)
    assert rows(again.drop(columns="straightliner")) == rows(original)


def test_live_and_imported_answers_are_analysed_alike(db, tmp_path):
    questionnaire = QUESTIONNAIRES["cips-private-sector"]
    with db.transaction() as session:
        admin = create_administration(session, "BF", "Burkina Faso", "UTC", ["en"])
        create_campaign(session, admin, questionnaire, "2026", code="bf-live")
    path = wave_file(tmp_path, "cips-private-sector", "2026", "csv", 6, n=40)
    with db.transaction() as session:
        done = import_file(session, path, questionnaire)
    assert done.respondents == 40
    with db.transaction() as session:
        before = analyze(load_database(session, administration="BF"))
    engine = ConversationEngine(db, QUESTIONNAIRES, TEST_SECRET, languages=lambda: ["en"])
    person = Person(engine, "4242")
    person.join("bf-live")
    person.answer_everything(
        lambda question, buttons: buttons[-3] if len(buttons) > 3 else buttons[0]
    )
    with db.transaction() as session:  # not released while the campaign is open
        assert len(analyze(load_database(session, administration="BF")).items) == len(before.items)
        assert [len(s) for s in load_database(session, administration="BF")] == [40]
    with db.transaction() as session:  # closing seals and releases it
        live = session.scalar(select(Campaign).where(Campaign.code == "bf-live"))
        assert close_now(session, live, utcnow(), 10) == 1
    with db.transaction() as session:
        after = analyze(load_database(session, administration="BF"))

    def overall(results, item):
        rows = results.items
        return rows[(rows.item_id == item) & (rows.group_var == "")].iloc[0]

    # The live respondent pressed "Strongly agree" (the third button from the end) everywhere.
    first, then = overall(before, "p_lc1"), overall(after, "p_lc1")
    assert then.n_valid == first.n_valid + 1
    assert then.score * then.n_valid == pytest.approx(first.score * first.n_valid + 100)
    assert len(after.items) == len(before.items)


def test_a_file_with_problems_is_not_loaded_for_analysis_either(tmp_path):
    path = wave_file(tmp_path, "cips-officials", "2024", "csv", 7, n=10)
    text = path.read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace(",officials,", ",traders,")
    path.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(InvalidFile) as refused:
        load_files([path])
    [problem] = refused.value.problems
    assert problem.render("en") == "Row 3, column survey (C): “traders” should be “officials”"
    _, problems = validate(read_raw(path), QUESTIONNAIRES["cips-officials"], wave="no wave!")
    assert problems[0].render("en").startswith("“no wave!” is not a wave label")
    broken = tmp_path / "broken.csv"
    broken.write_bytes("respondent_id,questionnaire\nr1,é".encode("latin-1"))
    with pytest.raises(InvalidFile) as unreadable:
        load_files([broken])
    assert "not UTF-8" in unreadable.value.problems[0].render("en")

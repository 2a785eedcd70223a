"""`cips weights set|show|clear` on a released campaign (issue 20, item 4): margins make a new
release version whose figures are weighted, the earlier version kept byte for byte and the
change in the audit log; the unweighted tables stay beside the weighted ones and suppress the
same cells; SPSS and Stata files gain the weight column; bad margins change nothing."""

from __future__ import annotations

import io

import pandas as pd
import pypdf
import pyreadstat
import pytest
from sqlalchemy import select

from analysis import releases
from analysis.interchange import write
from analysis.synthetic import generate_wave
from cips.cli import context
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.models import Administration, AuditEntry, ReleaseTables, WeightMargins
from tests.cli_support import run_cips

QUESTIONNAIRES = load_questionnaires()
OFFICIALS = QUESTIONNAIRES["cips-officials"]
MARGINS = (
    "question,value,population\n"
    "gender,female,400\ngender,male,600\n"
    "leadership,yes,230\nleadership,no,770\n"
)


@pytest.fixture
def cips(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    run_cips("administration", "create", "BF", "--name", "Burkina Faso", "--timezone", "UTC")
    frame = generate_wave(OFFICIALS, 300, administration="BF", wave="2025", seed=3)
    run_cips("import", str(write(frame, tmp_path / "wave.csv")), "--code", "bf-2025")
    db = Database(database_url)
    yield run_cips, db
    db.dispose()
    context.settings.cache_clear()


def current(db: Database, language: str = "en") -> releases.Release:
    with db.transaction() as session:
        administration = session.scalar(select(Administration).where(Administration.code == "BF"))
        campaigns = releases.campaigns_of(session, administration)
        return releases.release(session, administration, "2025", language, 10, QUESTIONNAIRES,
                                campaigns)  # fmt: skip


def stored(db: Database) -> list[tuple[str, str, bytes]]:
    with db.transaction() as session:
        rows = session.execute(
            select(ReleaseTables.version, ReleaseTables.language, ReleaseTables.tables)
            .order_by(ReleaseTables.id)
        )  # fmt: skip
        return [tuple(row) for row in rows]


def report_text(run, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    run("report", "--campaign", "bf-2025", "--language", "en", "-o", str(path))
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def overall(results, survey: str = "officials") -> pd.DataFrame:
    factors = results.factors
    return factors[(factors["group_var"] == "") & (factors["survey"] == survey)].set_index("factor")


def test_margins_make_a_new_weighted_version_and_keep_the_old(cips, tmp_path):
    run, db = cips
    before = current(db)
    assert not before.weighted and before.unweighted is None
    kept = stored(db)
    assert "The figures are weighted" not in report_text(run, tmp_path, "before")
    (tmp_path / "margins.csv").write_text(MARGINS)

    out = run("weights", "set", "--campaign", "bf-2025", "--margins", str(tmp_path / "margins.csv"))
    assert "margins set for bf-2025 (raking on gender, leadership)" in out.output
    after = current(db)
    assert after.version != before.version
    assert stored(db)[: len(kept)] == kept  # the earlier version, byte for byte
    assert after.weighted and after.unweighted is not None
    # Weighted figures by default, the unweighted ones beside them, equal to the old version's.
    assert (overall(after.results)["score"] - overall(before.results)["score"]).abs().max() > 0.1
    pd.testing.assert_frame_equal(overall(after.unweighted), overall(before.results))
    # Suppression: the same cells in both, read from the (unweighted) counts.
    for name in ("items", "factors"):
        weighted, plain = after.results.tables[name], after.unweighted.tables[name]
        assert weighted["suppressed"].tolist() == plain["suppressed"].tolist()
        assert weighted["suppressed"].any()
        assert "n_effective" in weighted.columns and "n_effective" not in plain.columns
    row = overall(after.results).loc["integrity_index"]
    assert row["n_effective"] < row["n_respondents"]
    # The stored tables read back the same (a page reads them, never recomputes).
    assert current(db).results.factors.equals(after.results.factors)

    with db.transaction() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "weights.set"))
        (entry,) = list(entries)
        assert entry.campaign == "bf-2025" and "gender, leadership" in entry.detail

    # The country report says so in its method.
    assert "The figures are weighted: the completed responses were raked" in report_text(
        run, tmp_path, "after"
    )
    # cips analyze reads the margins too (weighted by default), --unweighted leaves them out.
    run("analyze", "--administration", "BF", "--format", "csv", "--out", str(tmp_path / "w"))
    run("analyze", "--administration", "BF", "--format", "csv", "--out", str(tmp_path / "u"),
        "--unweighted")  # fmt: skip
    weighted = pd.read_csv(tmp_path / "w" / "factors.csv", keep_default_na=False)
    plain = pd.read_csv(tmp_path / "u" / "factors.csv", keep_default_na=False)
    assert "n_effective" in weighted.columns and "n_effective" not in plain.columns
    assert weighted["suppressed"].tolist() == plain["suppressed"].tolist()
    index = (weighted["factor"] == "integrity_index") & (weighted["group_var"] == "")
    assert float(weighted.loc[index, "score"].item()) == pytest.approx(row["score"], abs=1e-9)

    shown = run("weights", "show", "--campaign", "bf-2025").output
    assert "gender,female,400" in shown and "leadership,no,770" in shown

    # Cleared: unweighted again, the earlier version (same facts, same digest) read back.
    run("weights", "clear", "--campaign", "bf-2025")
    cleared = current(db)
    assert cleared.version == before.version and not cleared.weighted
    with db.transaction() as session:
        history = session.scalars(select(WeightMargins.margins).order_by(WeightMargins.id)).all()
        assert len(history) == 2 and history[0] and history[1] is None  # every change kept
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
        assert actions[-1] == "weights.clear"


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_files_carry_the_weight(cips, tmp_path, fmt):
    run, db = cips
    path = tmp_path / f"plain.{fmt}"
    run("export", "--campaign", "bf-2025", "-o", str(path))
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    data, meta = reader(str(path))
    assert "weight" not in data.columns  # no margins, no weight

    (tmp_path / "margins.csv").write_text(MARGINS)
    run("weights", "set", "--campaign", "bf-2025", "--margins", str(tmp_path / "margins.csv"))
    path = tmp_path / f"weighted.{fmt}"
    run("export", "--campaign", "bf-2025", "-o", str(path))
    data, meta = reader(str(path))
    assert meta.column_names[-1] == "weight"
    assert meta.column_names_to_labels["weight"]
    data = data.set_index("respondent_id")
    completed = data["completed"] == 1
    # Weights average 1 over the completed responses, whose weighted shares meet the margins.
    assert data.loc[completed, "weight"].mean() == pytest.approx(1, abs=1e-9)
    codes = {"female": 1, "male": 2}
    weighted = data[completed & data["gender"].isin(codes.values())]
    share = (
        weighted.loc[weighted["gender"] == codes["female"], "weight"].sum()
        / weighted["weight"].sum()
    )
    assert share == pytest.approx(0.4, abs=1e-9)
    # The same weights as the release's, to the last digit.
    with db.transaction() as session:
        from analysis.margins import campaign_weights
        from survey.campaigns import get_campaign

        expected = campaign_weights(session, get_campaign(session, "bf-2025"), QUESTIONNAIRES)
    assert (data["weight"] - expected.reindex(data.index)).abs().max() < 1e-12


def test_bad_margins_change_nothing(cips, tmp_path):
    run, db = cips
    before = current(db)
    (tmp_path / "bad.csv").write_text(MARGINS.replace("leadership,no,770", "leadership,no,700")
                                      .replace("gender,male", "gender,men"))  # fmt: skip
    out = run("weights", "set", "--campaign", "bf-2025", "--margins", str(tmp_path / "bad.csv"),
              "--language", "fr", ok=False)  # fmt: skip
    assert "men n'est pas une catégorie de gender" in out.output
    with db.transaction() as session:
        assert session.scalars(select(WeightMargins)).all() == []
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "weights.set" not in actions
    assert current(db).version == before.version

    (tmp_path / "bad.csv").write_text(MARGINS.replace("leadership,no,770", "leadership,no,700"))
    out = run("weights", "set", "--campaign", "bf-2025", "--margins", str(tmp_path / "bad.csv"),
              ok=False)  # fmt: skip
    assert "must sum to the same total: leadership sums to 930, gender to 1,000" in out.output


def test_an_open_campaign_takes_no_margins(cips, tmp_path):
    run, _db = cips
    run("campaign", "create", "--administration", "BF", "--questionnaire", "cips-officials",
        "--wave", "2026", "--code", "bf-2026")  # fmt: skip
    (tmp_path / "margins.csv").write_text(MARGINS)
    out = run("weights", "set", "--campaign", "bf-2026", "--margins", str(tmp_path / "margins.csv"),
              ok=False)  # fmt: skip
    assert "bf-2026 is open: margins are set once it is closed" in out.output

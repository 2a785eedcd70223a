"""Weights across waves and out of the installation (README, "Weights" and "Benchmarks across
administrations"): a wave is weighted only when its own campaigns have margins (not because an
earlier wave loaded for its trends has some), in the release, the report and `cips analyze`'s
workbook; a weighted trend over an unweighted wave says so; the weighted report's margin of
error uses the effective sample size; the signed release file says it is weighted and carries
the effective n, which the benchmark's intervals use, and version 1 files are still read."""

from __future__ import annotations

import copy
import io
import json
import math

import pypdf
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from analysis import releases
from analysis.benchmark import files
from analysis.benchmark.compute import compute
from analysis.benchmark.store import Participant
from analysis.interchange import write
from analysis.intervals import Z, wilson
from analysis.synthetic import generate_wave
from cips.cli import context
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.models import Administration
from tests.cli_support import run_cips

QUESTIONNAIRES = load_questionnaires()
OFFICIALS = QUESTIONNAIRES["cips-officials"]
MARGINS = (
    "question,value,population\n"
    "gender,female,800\ngender,male,200\n"
    "leadership,yes,700\nleadership,no,300\n"
)  # far from the made-up respondents' shares: weights that matter


@pytest.fixture
def cips(database_url, monkeypatch, tmp_path):
    """BF with two released waves of officials, 2025 and 2026, 300 made-up respondents each."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CIPS_SIGNING_KEYS_DIR", str(tmp_path / "keys"))
    run_cips("administration", "create", "BF", "--name", "Burkina Faso", "--timezone", "UTC")
    for wave, seed in (("2025", 3), ("2026", 4)):
        frame = generate_wave(OFFICIALS, 300, administration="BF", wave=wave, seed=seed)
        run_cips("import", str(write(frame, tmp_path / f"{wave}.csv")), "--code", f"bf-{wave}")
    (tmp_path / "margins.csv").write_text(MARGINS)
    db = Database(database_url)
    yield run_cips, db
    db.dispose()
    context.settings.cache_clear()


def current(db: Database, wave: str) -> releases.Release:
    with db.transaction() as session:
        administration = session.scalar(select(Administration).where(Administration.code == "BF"))
        campaigns = releases.campaigns_of(session, administration)
        return releases.release(session, administration, wave, "en", 10, QUESTIONNAIRES,
                                campaigns)  # fmt: skip


def set_margins(run, tmp_path, campaign: str) -> None:
    run("weights", "set", "--campaign", campaign, "--margins", str(tmp_path / "margins.csv"))


def report_text(run, tmp_path, campaign: str, language: str = "en") -> str:
    path = tmp_path / f"{campaign}-{language}.pdf"
    run("report", "--campaign", campaign, "--language", language, "-o", str(path))
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def about(run, tmp_path, *options: str) -> str:
    out = tmp_path / "-".join(["out", *options]).replace("--", "")
    run("analyze", "--administration", "BF", "--format", "xlsx", "--out", str(out), *options)
    sheet = load_workbook(out / "results.xlsx", read_only=True)["about"]
    return "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)


def test_margins_on_an_earlier_wave_do_not_make_a_wave_weighted(cips, tmp_path):
    run, db = cips
    before = current(db, "2026")
    set_margins(run, tmp_path, "bf-2025")
    assert current(db, "2025").weighted
    after = current(db, "2026")
    assert not after.weighted and after.unweighted is None
    assert after.version == before.version  # its tables, trends included, are as they were
    assert "n_effective" not in after.results.factors.columns
    assert "The figures are weighted" not in report_text(run, tmp_path, "bf-2026")
    assert "The figures are weighted" in report_text(run, tmp_path, "bf-2025")

    only_2026 = about(run, tmp_path, "--wave", "2026")
    assert "Weighted figures" not in only_2026 and "The trend compares" not in only_2026
    # Every wave in one workbook: which waves are weighted, and the trend that mixes them.
    every = about(run, tmp_path)
    assert "Weighted figures" in every and "Weighted waves: 2025; the figures of the other" in every
    assert (
        "The trend compares the weighted figures of 2025 with the unweighted figures of 2026"
        in every
    )


def test_a_weighted_wave_after_an_unweighted_one_says_its_trend_mixes(cips, tmp_path):
    run, db = cips
    set_margins(run, tmp_path, "bf-2026")
    published = current(db, "2026")
    assert published.weighted and published.results.mixed_trends() == [("2026", "2025")]
    text = report_text(run, tmp_path, "bf-2026")
    assert "The figures are weighted" in text
    assert "The trend compares the weighted figures of 2026 with the unweighted figures of " \
           "2025" in text  # fmt: skip
    assert "La tendance compare les chiffres pondérés de 2026 aux chiffres non pondérés de " \
           "2025" in report_text(run, tmp_path, "bf-2026", "fr")  # fmt: skip
    assert "The trend compares" in about(run, tmp_path, "--wave", "2026")


def test_the_weighted_margin_of_error_uses_the_effective_sample_size(cips, tmp_path):
    run, db = cips
    set_margins(run, tmp_path, "bf-2026")
    published = current(db, "2026")
    completed = published.completed["officials"]
    effective = published.completed_effective["officials"]
    assert effective < completed - 10
    text = report_text(run, tmp_path, "bf-2026")
    plain, weighted = (100 * Z * math.sqrt(0.25 / n) for n in (completed, effective))
    assert f"{weighted:.1f}" != f"{plain:.1f}"
    assert f"± {weighted:.1f}" in text and f"± {plain:.1f}" not in text
    assert "with n their effective sample size" in text
    # Read back from the stored tables, the same.
    assert current(db, "2026").completed_effective == published.completed_effective
    # Unweighted (2025): the number of completed responses, as before.
    unweighted = current(db, "2025")
    n = unweighted.completed["officials"]
    assert f"± {100 * Z * math.sqrt(0.25 / n):.1f}" in report_text(run, tmp_path, "bf-2025")


def export(run, tmp_path, campaign: str) -> dict:
    path = tmp_path / f"{campaign}.json"
    run("release", "export", "--campaign", campaign, "-o", str(path))
    return json.loads(path.read_text())["payload"]


def participants(payload: dict) -> list[Participant]:
    """Five administrations with the same figures (enough to publish every group)."""
    out = []
    for code in ("AA", "BB", "CC", "DD", "EE"):
        copied = copy.deepcopy(payload)
        copied["administration"]["code"] = code
        out.append(Participant(code, code, "West Africa", "2026", copied, False))
    return out


def test_the_release_file_says_it_is_weighted_and_carries_the_effective_n(cips, tmp_path):
    run, db = cips
    run("keys", "create")
    plain = export(run, tmp_path, "bf-2026")
    assert plain["schema_version"] == 2 and plain["weighted"] is False
    assert all(u["n_effective"] is None for u in plain["units"])
    assert files.schema_problems(plain) == []

    set_margins(run, tmp_path, "bf-2026")
    payload = export(run, tmp_path, "bf-2026")
    assert files.schema_problems(payload) == []
    assert payload["weighted"] is True
    factors = current(db, "2026").results.factors
    overall = factors[(factors["group_var"] == "") & ~factors["suppressed"]].set_index("factor")
    unit = next(u for u in payload["units"] if u["unit"] == "1")
    assert unit["n_effective"] == pytest.approx(overall.loc["1", "n_effective"], abs=1e-8)
    assert unit["n_effective"] < unit["n_respondents"] - 10
    item = next(i for i in payload["items"] if not i["suppressed"])
    assert 0 < item["n_effective"] < item["n_valid"]
    # The schema refuses a weighted file without its effective n, and an unweighted one with it.
    broken = copy.deepcopy(payload)
    del broken["units"][0]["n_effective"]
    assert files.schema_problems(broken)
    broken = copy.deepcopy(plain)
    broken["units"][0]["n_effective"] = 12.5
    assert files.schema_problems(broken)

    # The benchmark's interval of a weighted percent favourable: Wilson with the effective n.
    bench = compute(participants(payload), min_cell=10)
    values = bench.values
    row = values[(values["unit"] == "1") & (values["measure"] == "pct_favourable")
                 & (values["region"] == "")].iloc[0]  # fmt: skip
    assert bool(row["weighted"]) and row["n_effective"] == unit["n_effective"]
    low, high = wilson(unit["pct_favourable"] / 100, unit["n_effective"])
    assert row["difference_low"] == pytest.approx(100 * float(low) - row["value"], abs=1e-9)
    assert row["difference_high"] == pytest.approx(100 * float(high) - row["value"], abs=1e-9)
    narrow, _ = wilson(unit["pct_favourable"] / 100, unit["n_respondents"])
    assert 100 * float(narrow) - row["value"] > row["difference_low"] + 0.5


def test_a_version_1_release_file_is_still_read(cips, tmp_path):
    run, _db = cips
    run("keys", "create")
    payload = export(run, tmp_path, "bf-2026")
    old = copy.deepcopy(payload)
    old["schema_version"] = 1
    del old["weighted"]
    for row in old["items"] + old["units"]:
        del row["n_effective"]
    assert files.schema_problems(old) == []
    assert files.schema_problems({**old, "schema_version": 3})
    # Its intervals use the counts, as before (a version 1 file does not say it is weighted).
    values = compute(participants(old), min_cell=10).values
    row = values[(values["unit"] == "1") & (values["measure"] == "pct_favourable")].iloc[0]
    unit = next(u for u in old["units"] if u["unit"] == "1")
    low, _ = wilson(unit["pct_favourable"] / 100, unit["n_respondents"])
    assert not row["weighted"]
    assert row["difference_low"] == pytest.approx(100 * float(low) - row["value"], abs=1e-9)

"""What analysts look at: the workbook, the CSV and JSON files, and the charts, in their language,
with suppressed cells marked and never drawn."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis import Dataset, analyze, factor_chart, gap_chart, write_charts, write_results
from survey.questionnaire import Survey
from tests.analysis_support import agreement, questionnaire, response_set


@pytest.fixture(scope="module")
def results_by_language():
    """Officials and private sector in two waves; group "a" is small (suppressed with its
    complement), and factor 2 of the private sector has too few answers in 2026."""
    rng = np.random.default_rng(7)
    off = questionnaire([agreement("o1", 1, link="p1"), agreement("o2", 2)], qid="off")
    ps = questionnaire([agreement("p1", 1, link="o1"), agreement("p2", 2)], Survey.PRIVATE_SECTOR,
                       qid="ps")  # fmt: skip
    groups = ["a"] * 4 + ["b"] * 20 + ["c"] * 36

    def answers(n, few=False):
        cells = rng.choice(["1", "2", "3", "4", "5", "DK"], n)
        return [c if not few or i < 6 else "" for i, c in enumerate(cells)]

    sets = [
        response_set(off, {"o1": answers(60), "o2": answers(60)}, groups, "BF", wave)
        for wave in ("2024", "2026")
    ]
    sets += [
        response_set(
            ps, {"p1": answers(60), "p2": answers(60, few=wave == "2026")}, groups, "BF", wave
        )
        for wave in ("2024", "2026")
    ]
    data = Dataset(sets)
    return {language: analyze(data, language=language) for language in ("en", "fr", "ar")}


def test_the_workbook_has_readable_headers_and_grey_suppressed_cells(results_by_language, tmp_path):
    results = results_by_language["fr"]
    [path, metadata] = write_results(results, tmp_path, "xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["about", "items", "factors", "gaps", "trends", "problems",
                                   "kpis", "quality"]  # fmt: skip
    factors = workbook["factors"]
    headers = [cell.value for cell in factors[1]]
    assert headers[:5] == ["Administration", "Vague", "Enquête", "Enquête (code)",
                           "Facteur clé (code)"]  # fmt: skip
    assert "Score (0-100)" in headers and "Masqué (moins de k)" in headers
    score = headers.index("Score (0-100)") + 1
    hidden = [row for row in factors.iter_rows(min_row=2) if row[-1].value is True]
    shown = [row for row in factors.iter_rows(min_row=2) if row[-1].value is False]
    assert hidden and shown
    assert all(row[score - 1].value is None for row in hidden)
    assert {row[score - 1].fill.fgColor.rgb for row in hidden} == {"00D9D9D9"}
    assert all(isinstance(row[score - 1].value, float) for row in shown)
    assert "moins de 10 répondants" in workbook["about"]["A3"].value
    assert json.loads(metadata.read_text())["language"] == "fr"
    arabic = load_workbook(write_results(results_by_language["ar"], tmp_path / "ar", "xlsx")[0])
    assert arabic["items"].sheet_view.rightToLeft


def test_csv_and_json_keep_full_precision_and_leave_suppressed_cells_empty(
    results_by_language, tmp_path
):
    results = results_by_language["en"]
    write_results(results, tmp_path / "csv", "csv")
    write_results(results, tmp_path / "json", "json")
    items = pd.read_csv(tmp_path / "csv" / "items.csv", keep_default_na=False, dtype=str)
    assert list(items.columns) == list(results.items.columns)
    small = items[(items.group_var == "group") & (items.group_value == "a")]
    assert set(small.suppressed) == {"true"} and set(small.score) == {""}
    shown = results.items[~results.items.suppressed].iloc[0]
    assert repr(float(shown.score)) in (tmp_path / "csv" / "items.csv").read_text()
    records = json.loads((tmp_path / "json" / "items.json").read_text())
    assert records[0]["score"] == results.items.iloc[0].score
    assert any(r["suppressed"] and r["n_valid"] is None for r in records)
    gaps = json.loads((tmp_path / "json" / "gaps.json").read_text())
    assert {type(g["significant"]) for g in gaps} <= {bool, type(None)}


def test_charts_in_a_chosen_language_mark_suppressed_values(results_by_language, tmp_path):
    results = results_by_language["fr"]
    figure = factor_chart(results.factors, "BF", "2026", "private_sector", "fr", 10)
    axes = figure.axes[0]
    names = [tick.get_text() for tick in axes.get_yticklabels()]
    assert names == ["Leadership et engagement", "Cadre réglementaire"]
    assert [t.get_text() for t in axes.texts] == ["masqué (n < 10)"]
    assert axes.get_title() == "Secteur privé\u202f: facteurs clés, BF 2026"
    # Only the factor with enough answers is drawn (one bar).
    assert len(axes.patches) == 1
    gap = gap_chart(results_by_language["ar"].gaps, "BF", "2026", "ar", 10).axes[0]
    assert gap.xaxis_inverted(), "right-to-left charts are mirrored"
    assert gap.get_yticklabels()[0].get_text() == "القيادة والالتزام"
    written = write_charts(results, tmp_path)
    assert {p.suffix for p in written} == {".png", ".svg"}
    names = {p.stem for p in written}
    assert names == {"factors_BF_2024_officials", "factors_BF_2024_private_sector",
                     "factors_BF_2026_officials", "factors_BF_2026_private_sector",
                     "gap_BF_2024", "gap_BF_2026", "trend_BF_officials_2026",
                     "trend_BF_private_sector_2026"}  # fmt: skip
    png = next(p for p in written if p.suffix == ".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

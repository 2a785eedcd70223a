"""Every formula of SCORING.md pinned on small examples worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import Dataset, analyze, factors_table, items_table
from analysis.intervals import newcombe, wilson
from analysis.suppression import complementary
from survey.questionnaire import Construct, Survey
from tests.analysis_support import agreement, questionnaire, response_set


def one(table: pd.DataFrame, **where) -> pd.Series:
    rows = table
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_item_metrics_count_only_substantive_answers():
    # 5, 4, 4, 3, 2, 1 are valid; DK twice and PNA once are not; blank is not counted at all.
    q = questionnaire([agreement("x1", 1)])
    data = Dataset([response_set(q, {"x1": ["5", "4", "4", "3", "2", "1", "DK", "DK", "PNA", ""]})])
    row = one(items_table(data, min_cell=5), item_id="x1", group_var="")
    assert (row.n_valid, row.n_dk, row.n_pna) == (6, 2, 1)
    # (100 + 75 + 75 + 50 + 25 + 0) / 6
    assert row.score == pytest.approx(325 / 6)
    assert row.pct_favourable == pytest.approx(100 * 3 / 6)
    assert row.pct_unfavourable == pytest.approx(100 * 2 / 6)
    assert row.dk_rate == pytest.approx(100 * 2 / 9)
    assert row.pna_rate == pytest.approx(100 * 1 / 9)
    # Wilson for 3 of 6 by hand: z^2/n = 0.640243, centre 0.5, half-width
    # z / 1.640243 * sqrt(0.25/6 + z^2/144) = 0.312384.
    assert (row.ci_low, row.ci_high) == pytest.approx((18.7616, 81.2384), abs=1e-4)
    assert not row.suppressed


def test_reverse_coded_items_are_recoded_before_anything_else():
    q = questionnaire([agreement("neg", 1, reverse=True)])
    # Strongly disagreeing with a negative statement is the most favourable view.
    data = Dataset([response_set(q, {"neg": ["1", "1", "2", "5", "DK"]})])
    row = one(items_table(data, min_cell=5), item_id="neg", group_var="")
    assert row.score == pytest.approx((100 + 100 + 75 + 0) / 4)
    assert row.pct_favourable == pytest.approx(75)
    assert row.pct_unfavourable == pytest.approx(25)


def test_wilson_and_newcombe_match_published_values():
    low, high = wilson(0.5, 10)
    assert (low, high) == pytest.approx((0.2366, 0.7634), abs=5e-5)
    # Newcombe (1998), Statistics in Medicine 17:873, method 10, examples (a) and (h).
    assert newcombe(56 / 70, 70, 48 / 80, 80) == pytest.approx((0.2, 0.0524, 0.3339), abs=5e-5)
    assert newcombe(0 / 10, 10, 0 / 20, 20) == pytest.approx((0.0, -0.1611, 0.2775), abs=5e-5)
    assert all(np.isnan(wilson(0.5, 0)))


def test_factor_score_is_the_mean_of_its_items_with_a_valid_answer():
    q = questionnaire([agreement("a1", 1), agreement("a2", 1), agreement("a3", 1)])
    data = Dataset([response_set(q, {
        "a1": ["5", "5", "3", "1", "5", "1", ""],  # score 350/6, favourable 50%
        "a2": ["4", "2", "DK", "", "", "", ""],    # score 50, favourable 50%
        "a3": ["DK", "PNA", "", "", "", "", ""],   # no valid answer: left out of the mean
    })])  # fmt: skip
    row = one(factors_table(data, min_cell=5), factor="1", group_var="")
    assert row.score == pytest.approx((350 / 6 + 50) / 2)
    assert row.pct_favourable == pytest.approx((50 + 50) / 2)
    # Six respondents have at least one valid answer (the seventh answered nothing).
    assert row.n_respondents == 6
    assert row.factor_name == "Leadership and Commitment"


def test_cronbach_alpha_is_listwise_with_sample_variances():
    q = questionnaire([agreement("a1", 2), agreement("a2", 2)])
    a = ["1", "2", "3", "4", "5"] * 2
    b = ["2", "2", "3", "4", "4"] * 2
    # var(a) = 20/9, var(b) = 8/9, var(a + b) = 52/9: alpha = 2 * (1 - 28/52) = 12/13.
    # An eleventh respondent with a DK is left out (listwise).
    data = Dataset([response_set(q, {"a1": [*a, "5"], "a2": [*b, "DK"]})])
    row = one(factors_table(data, min_cell=5), factor="2", group_var="")
    assert row.alpha == pytest.approx(12 / 13)
    # Nine listwise respondents are too few; a one-item factor has no alpha.
    fewer = Dataset([response_set(q, {"a1": a[:9], "a2": b[:9]})])
    assert math.isnan(one(factors_table(fewer, min_cell=5), factor="2", group_var="").alpha)
    single = Dataset([response_set(questionnaire([agreement("s", 3)]), {"s": a})])
    assert math.isnan(one(factors_table(single, min_cell=5), factor="3", group_var="").alpha)


def test_constructs_and_the_overall_index():
    items = [agreement("a1", 1), agreement("b1", 2), agreement("b2", 2)]
    construct = Construct("wb", "Whistleblowing", ("a1", "b2"))
    q = questionnaire(items, constructs=(construct,))
    data = Dataset([response_set(q, {
        "a1": ["5", "5", "5", "5", "5"],  # factor 1: 100
        "b1": ["1", "1", "1", "1", "1"],  # factor 2: (0 + 50) / 2 = 25
        "b2": ["3", "3", "3", "3", "3"],
    })])  # fmt: skip
    table = factors_table(data, min_cell=5)
    assert one(table, factor="wb", group_var="").score == pytest.approx((100 + 50) / 2)
    # The index is the mean of the factor scores (constructs do not count twice).
    index = one(table, factor="integrity_index", group_var="")
    assert index.score == pytest.approx((100 + 25) / 2)
    assert index.factor_name == "Overall integrity index"
    assert list(table[table.group_var == ""].factor) == ["1", "2", "wb", "integrity_index"]


@pytest.mark.parametrize(
    ("counts", "residual", "expected"),
    [
        ([3, 12, 40], None, [True, True, False]),  # one small: the next smallest goes too
        ([3, 4, 40], None, [True, True, False]),  # two small already: nothing more
        ([15, 12, 40], None, [False, False, False]),
        ([0, 15, 40], None, [True, False, False]),  # an empty category holds nothing to derive
        # A small residual counts, but is never one of the two published categories hidden
        # together (it may hold nobody in another row), nor the complement.
        ([12, 40, 50, 3], [False, False, False, True], [True, True, False, True]),
        ([3, 40, 50, 20], [False, False, False, True], [True, True, False, False]),
        ([3, 12, 12], None, [True, True, False]),  # ties: the first listed
    ],
)
def test_complementary_suppression(counts, residual, expected):
    assert complementary(np.array(counts), 10, residual).tolist() == expected


def test_breakdowns_suppress_small_groups_and_their_complement():
    q = questionnaire([agreement("x1", 1)])
    groups = ["a"] * 4 + ["b"] * 11 + ["c"] * 30
    answers = ["4"] * 45
    data = Dataset([response_set(q, {"x1": answers}, groups)])
    items = items_table(data, min_cell=10)
    by_group = items[items.group_var == "group"].set_index("group_value")
    assert by_group.suppressed.tolist() == [True, True, False]
    assert by_group.loc[["a", "b"], ["n_valid", "score", "pct_favourable"]].isna().all().all()
    assert by_group.loc["c", "n_valid"] == 30
    assert not one(items, group_var="").suppressed
    factors = factors_table(data, min_cell=10)
    for unit in ("1", "integrity_index"):
        rows = factors[(factors.group_var == "group") & (factors.factor == unit)]
        assert rows.suppressed.tolist() == [True, True, False]


def test_a_small_overall_cell_is_suppressed_and_k_is_never_below_five():
    q = questionnaire([agreement("x1", 1)])
    data = Dataset([response_set(q, {"x1": ["4"] * 9})])
    row = one(items_table(data, min_cell=10), group_var="")
    assert row.suppressed and pd.isna(row.score) and pd.isna(row.n_valid)
    assert not one(items_table(data, min_cell=9), group_var="").suppressed
    with pytest.raises(ValueError, match="at least 5"):
        items_table(data, min_cell=4)


def test_gap_and_trend_use_newcombe_and_are_suppressed_with_either_side():
    off = questionnaire([agreement("o1", 1, link="p1")], qid="off")
    ps = questionnaire([agreement("p1", 1, link="o1")], Survey.PRIVATE_SECTOR, qid="ps")
    officials = response_set(off, {"o1": ["4"] * 56 + ["2"] * 14}, wave="2026")
    private = response_set(ps, {"p1": ["5"] * 48 + ["1"] * 32}, wave="2026")
    earlier = response_set(off, {"o1": ["4"] * 5 + ["1"] * 4}, wave="2024")
    results = analyze(Dataset([officials, private, earlier]), min_cell=10)
    factor_gap = one(results.gaps, factor="1", item_id="")
    item_gap = one(results.gaps, item_id="o1")
    for gap in (factor_gap, item_gap):
        assert (gap.officials_pct_favourable, gap.private_sector_pct_favourable) == (80, 60)
        assert (gap.difference, gap.ci_low, gap.ci_high) == pytest.approx(
            (20, 5.2431, 33.3873), abs=1e-4
        )
        assert gap.significant and not gap.suppressed
    assert item_gap.linked_item_id == "p1"
    # The 2024 wave has 9 respondents: its side is suppressed, so is the trend.
    trend = one(results.trends, factor="1", item_id="")
    assert (trend.wave, trend.earlier_wave) == ("2026", "2024")
    assert trend.suppressed and pd.isna(trend.difference) and pd.isna(trend.significant)
    assert trend.pct_favourable == 80 and pd.isna(trend.pct_favourable_earlier)

"""The one small-cell suppression rule (survey.suppression) and the two places that apply it:
the dashboard's breakdowns and the analysis result tables agree with it cell for cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.frames import Dataset
from analysis.suppression import complementary
from analysis.tables import items_table
from survey.suppression import suppress, suppressed_cells
from tests.analysis_support import agreement, questionnaire, response_set

counts_lists = st.lists(st.integers(min_value=0, max_value=40), max_size=12)
thresholds = st.integers(min_value=5, max_value=12)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([40, 12, 3, 0], [False, True, True, False]),  # the complement is never the empty cell
        ([0, 3, 12, 40], [False, True, True, False]),
        ([40, 12, 3], [False, True, True]),
        ([40, 2, 3], [False, True, True]),  # two small cells protect each other
        ([3, 12, 12], [True, True, False]),  # ties: the first listed
        ([9], [True]),
        # Nothing non-empty to hide it among: the zeros would say the total is all in it (the
        # dashboard's totals are exact), so the whole breakdown is hidden.
        ([3, 0, 0], [True, True, True]),
        ([0, 0], [False, False]),
        ([], []),
    ],
)
def test_the_rule_on_known_breakdowns(counts, expected):
    assert suppressed_cells(counts, 10) == expected


@settings(max_examples=500, deadline=None)
@given(counts=counts_lists, k=thresholds)
def test_no_suppressed_cell_can_be_worked_out_and_no_empty_cell_is_the_complement(counts, k):
    hidden = suppressed_cells(counts, k)
    small = [0 < n < k for n in counts]
    if sum(small) == 1 and not any(n >= k for n in counts):
        # The small cell is the whole total: every cell is hidden, so the published total (the
        # dashboard's are exact) cannot be placed in one of them.
        assert all(hidden)
        return
    # Every small cell is hidden, every large one shown unless it is the one complement.
    assert all(h for h, s in zip(hidden, small, strict=True) if s)
    complements = [i for i, (h, s) in enumerate(zip(hidden, small, strict=True)) if h and not s]
    has_candidate = any(n >= k for n in counts)
    assert len(complements) == (1 if sum(small) == 1 and has_candidate else 0)
    for i in complements:
        assert counts[i] >= k, "the complement is a non-empty, unsuppressed cell"
        assert counts[i] == min(n for n in counts if n >= k), "and the smallest such"
    # An empty cell describes nobody: never hidden, never taken as the complement.
    assert not any(h for h, n in zip(hidden, counts, strict=True) if n == 0)
    # The total minus the shown cells is the sum of the hidden ones: it must never single one
    # out. (A total below k is itself a small cell, suppressed wherever it is published.)
    hidden_non_empty = [n for h, n in zip(hidden, counts, strict=True) if h and n > 0]
    if sum(counts) >= k:
        assert len(hidden_non_empty) != 1, (counts, k, hidden)
        total_minus_shown = sum(counts) - sum(
            n for h, n in zip(hidden, counts, strict=True) if not h
        )
        assert total_minus_shown == sum(hidden_non_empty)


@settings(max_examples=200, deadline=None)
@given(counts=counts_lists, k=thresholds)
def test_the_dashboard_applies_the_rule_and_shows_zeros(counts, k):
    keys = [f"c{i}" for i in range(len(counts))]
    shown = suppress(dict(zip(keys, counts, strict=True)), k)
    hidden = suppressed_cells(counts, k)
    assert list(shown) == keys
    for key, n, gone in zip(keys, counts, hidden, strict=True):
        assert shown[key] == (None if gone else n)


@settings(max_examples=200, deadline=None)
@given(counts=counts_lists, k=thresholds, data=st.data())
def test_the_analysis_adapter_applies_the_same_rule(counts, k, data):
    """The analysis marks empty categories suppressed too (nothing to publish in them); without
    a residual group it is the same rule, cell for cell. The residual (never published) is
    hidden with a published category when it is small, but never counts as one of the two
    published categories hidden together: in another row it may hold nobody."""
    residual = data.draw(st.lists(st.booleans(), min_size=len(counts), max_size=len(counts)))
    got = complementary(np.array(counts, dtype=int), k, np.array(residual, dtype=bool)).tolist()
    if not any(residual):
        expected = [gone or n == 0 for gone, n in zip(suppressed_cells(counts, k), counts,
                                                      strict=True)]  # fmt: skip
        assert got == expected
    cells = list(zip(got, counts, residual, strict=True))
    assert all(gone for gone, n, _ in cells if 0 < n < k)
    protected = [n for gone, n, _ in cells if gone and n > 0]
    published = [n for gone, n, withheld in cells if gone and n > 0 and not withheld]
    assert not protected or len(published) >= 2 or all(got), (counts, residual, got)


def test_a_breakdown_with_an_empty_category_hides_a_non_empty_complement():
    """Group "c" has nobody: the complement of the small group "a" is "b", not "c", so the
    overall row minus what is shown never gives group "a"."""
    q = questionnaire([agreement("x1", 1)])
    data = Dataset([response_set(q, {"x1": ["4"] * 4 + ["2"] * 30}, ["a"] * 4 + ["b"] * 30)])
    items = items_table(data, min_cell=10)
    by_group = items[items.group_var == "group"].set_index("group_value")
    assert by_group.suppressed.to_dict() == {"a": True, "b": True, "c": True}
    assert by_group[["n_valid", "score"]].isna().all().all()
    overall = items[items.group_var == ""].iloc[0]
    assert not overall.suppressed and overall.n_valid == 34
    assert pd.isna(by_group.loc["c", "n_valid"])

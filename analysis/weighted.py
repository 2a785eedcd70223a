"""Weighted item and factor figures from the per-cell counts of `analysis.statistics`.

A raking weight is a function of the respondent's categories on single-choice demographic
questions (`analysis.weights`), so every respondent of a statistics cell has the same weight:
the weighted sums are the cell counts times the cell's weight (and its square, for Kish's
effective n), summed per group. Scores, favourable and unfavourable shares, Don't know and
Prefer not to answer rates are weighted; the counts (n_valid, n_dk, n_pna, n_respondents), which
suppression reads, stay unweighted; Cronbach's alpha stays unweighted (it describes the scale in
the sample). The 95% interval of a weighted proportion is Wilson's with n = Kish's effective
sample size of the respondents it counts, reported as `n_effective`.
"""

from __future__ import annotations

import numpy as np

from analysis import coding
from analysis.intervals import wilson
from analysis.metrics import _ratio, item_metrics
from analysis.statistics import Statistics, _sum_by


def cell_weights(stats: Statistics, weights: np.ndarray) -> np.ndarray:
    """Each cell's weight from the respondents' (one per respondent, in the frame's order)."""
    n_cells = len(stats.cell_item_counts)
    out = np.zeros(n_cells)
    out[stats.cells] = weights
    # One weight per cell: what the weighted sums below rely on.
    if not np.allclose(out[stats.cells], weights, rtol=1e-12, atol=0):
        raise ValueError("the weights are not a function of the demographic categories")
    return out


def _kish(total: np.ndarray, squares: np.ndarray) -> np.ndarray:
    return _ratio(total**2, squares)


def weighted_item_metrics(stats: Statistics, d: int, w: np.ndarray) -> dict[str, np.ndarray]:
    """The item columns of margin `d` (0 overall, then each breakdown) weighted by the cell
    weights `w`, plus `n_effective`; counts unweighted."""
    groups, size = stats.cell_groups[d], stats.margins[d].grouping.size
    counts = stats.cell_item_counts
    summed = _sum_by(counts * w[:, None, None], groups, size)
    squared = _sum_by(counts * (w**2)[:, None, None], groups, size)
    out = item_metrics(stats.margins[d].item_counts)  # the unweighted counts
    valid, valid2 = summed[..., 1:6].sum(axis=-1), squared[..., 1:6].sum(axis=-1)
    answered = valid + summed[..., coding.DK] + summed[..., coding.PNA]
    share = _ratio(summed[..., 4] + summed[..., 5], valid)
    n_effective = _kish(valid, valid2)
    ci_low, ci_high = wilson(share, n_effective)
    out.update(
        score=_ratio(summed @ coding.POINTS.astype(float), valid),
        pct_favourable=100 * share,
        pct_unfavourable=100 * _ratio(summed[..., 1] + summed[..., 2], valid),
        ci_low=100 * ci_low,
        ci_high=100 * ci_high,
        dk_rate=100 * _ratio(summed[..., coding.DK], answered),
        pna_rate=100 * _ratio(summed[..., coding.PNA], answered),
        n_effective=n_effective,
    )
    return out


def unit_effective_n(stats: Statistics, d: int, w: np.ndarray) -> np.ndarray:
    """Kish's effective n of each unit's respondents (a valid answer to one of its items),
    per group of margin `d`: (groups, units)."""
    groups, size = stats.cell_groups[d], stats.margins[d].grouping.size
    respondents = stats.cell_unit_respondents
    total = _sum_by(respondents * w[:, None], groups, size)
    squares = _sum_by(respondents * (w**2)[:, None], groups, size)
    return _kish(total, squares)

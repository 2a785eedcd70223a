"""The formulas of SCORING.md, on the counts of `analysis.statistics` (arrays over groups).

Item metrics come from the counts of each answer code; a factor's or construct's score and
pct_favourable are the unweighted means over its items that have a substantive answer in the
group; Cronbach's alpha is computed listwise with sample variances; the overall integrity index
is the mean of the factor scores present. Values that cannot be computed are NaN.
"""

from __future__ import annotations

import numpy as np

from analysis import coding
from analysis.intervals import wilson
from analysis.statistics import AlphaSums, Margin, Statistics

#: Alpha is reported for factors of at least two items with at least this many listwise respondents.
ALPHA_MIN_RESPONDENTS = 10


def _ratio(numerator, denominator) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def item_metrics(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Per item (and group): the item columns of SCORING.md from (..., 8) answer-code counts."""
    n_valid = counts[..., 1:6].sum(axis=-1)
    n_dk = counts[..., coding.DK]
    n_pna = counts[..., coding.PNA]
    answered = n_valid + n_dk + n_pna
    favourable = counts[..., 4] + counts[..., 5]
    unfavourable = counts[..., 1] + counts[..., 2]
    share = _ratio(favourable, n_valid)
    ci_low, ci_high = wilson(share, n_valid)
    return {
        "n_valid": n_valid,
        "n_dk": n_dk,
        "n_pna": n_pna,
        "n_answered": answered,
        "score": _ratio(counts @ coding.POINTS, n_valid),
        "pct_favourable": 100 * share,
        "pct_unfavourable": 100 * _ratio(unfavourable, n_valid),
        "ci_low": 100 * ci_low,
        "ci_high": 100 * ci_high,
        "dk_rate": 100 * _ratio(n_dk, answered),
        "pna_rate": 100 * _ratio(n_pna, answered),
    }


def cronbach_alpha(sums: AlphaSums) -> np.ndarray:
    """alpha = k/(k-1) * (1 - sum(var_i) / var(total)), ddof = 1, where k >= 2 and n >= 10."""
    n = sums.n.astype(float)
    k = sums.s1.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        # Sample variance from exact integer sums: (n * S2 - S1^2) / (n * (n - 1)).
        item_var = (sums.n[:, None] * sums.s2 - sums.s1**2) / (n * (n - 1))[:, None]
        total_var = (sums.n * sums.t2 - sums.t1**2) / (n * (n - 1))
        alpha = k / (k - 1) * (1 - item_var.sum(axis=1) / total_var)
    reportable = (k >= 2) & (sums.n >= ALPHA_MIN_RESPONDENTS) & (total_var > 0)
    return np.where(reportable, alpha, np.nan)


def _mean_present(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Row means of `values` over the columns where `present` holds (NaN where none)."""
    counted = present.sum(axis=-1)
    return _ratio(np.where(present, values, 0).sum(axis=-1), counted)


def unit_metrics(stats: Statistics, margin: Margin, items: dict[str, np.ndarray]):
    """Per unit (factor, construct, index) and group: n_respondents, score, pct_favourable,
    alpha; arrays of shape (groups, units)."""
    groups = margin.item_counts.shape[0]
    shape = (groups, len(stats.units))
    score, favourable, alpha = (
        np.full(shape, np.nan),
        np.full(shape, np.nan),
        np.full(shape, np.nan),
    )
    has_valid = items["n_valid"] >= 1
    factor_columns = [u for u, unit in enumerate(stats.units) if unit.kind == "factor"]
    for u, unit in enumerate(stats.units):
        if unit.kind == "index":
            continue
        present = has_valid[:, unit.items]
        score[:, u] = _mean_present(items["score"][:, unit.items], present)
        favourable[:, u] = _mean_present(items["pct_favourable"][:, unit.items], present)
        if unit.id in margin.alpha:
            alpha[:, u] = cronbach_alpha(margin.alpha[unit.id])
    for u, unit in enumerate(stats.units):
        if unit.kind == "index":
            factor_scores = score[:, factor_columns]
            score[:, u] = _mean_present(np.nan_to_num(factor_scores), ~np.isnan(factor_scores))
    return {
        "n_respondents": margin.unit_respondents,
        "score": score,
        "pct_favourable": favourable,
        "alpha": alpha,
    }

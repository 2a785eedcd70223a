"""Small-cell suppression of SCORING.md applied to the result tables (a pandas adapter).

The rule itself (cells of 1..k-1 suppressed; when exactly one is, the smallest non-empty other
cell too) is `survey.suppression.suppressed_cells`, the one the dashboard uses as well. This
module applies it to every breakdown of a result table and blanks the suppressed values.

Choices SCORING.md leaves open, made here:
- Respondents who left the breakdown question blank form a *residual* group that is never
  published. It takes part in the complementary rule like a category: when its n is below k it
  counts as a suppressed category (otherwise its figures would follow from the overall row
  minus the published categories), and as the smallest other category it may absorb the
  complementary suppression (it is withheld anyway).
- A category with n = 0 is published as suppressed (there is nothing to show) but is not counted
  by the rule, nor taken as the complement: there is nothing in it to derive.
- Ties for the complement go to the residual, then to the category listed first in the
  questionnaire.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.config import MIN_CELL_FLOOR
from survey.suppression import suppressed_cells

DEFAULT_MIN_CELL = 10


def check_min_cell(k: int) -> int:
    if k < MIN_CELL_FLOOR:
        raise ValueError(f"the small-cell threshold must be at least {MIN_CELL_FLOOR}, got {k}")
    return k


def complementary(n: np.ndarray, k: int, residual: np.ndarray | None = None) -> np.ndarray:
    """Which cells of one breakdown (categories in order) are suppressed: the rule of
    `survey.suppression`, plus the empty cells (nothing to publish in them)."""
    n = np.asarray(n)
    residual = np.zeros(len(n), dtype=bool) if residual is None else np.asarray(residual)
    # Listed residual first, so that a tie for the complement falls on the withheld group.
    order = np.concatenate([np.flatnonzero(residual), np.flatnonzero(~residual)])
    suppressed = np.zeros(len(n), dtype=bool)
    suppressed[order] = suppressed_cells([int(v) for v in n[order]], k)
    return suppressed | (n == 0)


def suppress(
    frame: pd.DataFrame, *, unit: list[str], n: str, values: list[str], k: int
) -> pd.DataFrame:
    """Apply the rules to a result table with `group_var`, `group_value`, a count column `n`, a
    bool `_residual` column (residual rows are dropped after use), and `unit` columns naming the
    item or factor. Values of suppressed rows become missing; `suppressed` is added."""
    check_min_cell(k)
    suppressed = (frame[n] < k).to_numpy().copy()
    in_breakdown = (frame["group_var"] != "").to_numpy()
    positions = np.flatnonzero(in_breakdown)
    if len(positions):
        breakdown = frame.iloc[positions]
        keys = [*unit, "group_var"]
        for rows in breakdown.groupby(keys, sort=False, observed=True).indices.values():
            at = positions[rows]
            suppressed[at] = complementary(
                frame[n].to_numpy()[at], k, frame["_residual"].to_numpy()[at]
            )
    out = frame.copy()
    out["suppressed"] = suppressed
    for column in values:
        kind = out[column].dtype.kind
        if kind in "iu":  # counts stay whole numbers, with <NA> where suppressed
            out[column] = out[column].astype("Int64")
        elif kind != "f":
            out[column] = out[column].astype(object)
        out.loc[suppressed, column] = None if kind not in "f" else np.nan
    out = out[~out["_residual"].to_numpy()].drop(columns="_residual")
    return out.reset_index(drop=True)

"""Small-cell suppression of SCORING.md applied to the result tables (a pandas adapter).

The rule itself is `survey.suppression`, the one the dashboard uses as well: `hidden_categories`
for a breakdown, which is published in many rows at once. This module applies it to every
breakdown of the result tables and blanks the suppressed values.

A breakdown is one response set (administration, wave, survey) by one demographic question. All
its rows in every table (each statement's, by its respondents who answered it; each key
factor's, construct's and the index's, by their respondents with a valid answer) hide the same
categories: a category small in any row is hidden in all of them, and so is its complement.
Chosen row by row, the complement could differ between a key factor and one of its statements,
and a group hidden in one row but shown in another can be worked out from the overall row and
the relations between rows (a key factor's score is the mean of its statements'). The counts
come from the response set's statistics, so the items and factors tables, weighted or not, hide
the same groups whichever of them is computed.

Choices SCORING.md leaves open, made here:
- Respondents who left the breakdown question blank form a *residual* group that is never
  published. It takes part in the rule like a category when it is small somewhere (its figures
  would otherwise follow from the overall row minus the published categories), but it never
  counts as one of the two categories hidden together: it may be empty in another row.
- A category with n = 0 in a row is published as suppressed there (there is nothing to show)
  but is not counted by the rule in that row, nor taken as a complement: there is nothing in it
  to derive.
- Ties for the complement go to the category listed first in the questionnaire.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.frames import Dataset
from survey.config import MIN_CELL_FLOOR
from survey.suppression import hidden_categories

DEFAULT_MIN_CELL = 10
BREAKDOWN = ["administration", "wave", "survey", "group_var", "group_value", "_residual"]


def check_min_cell(k: int) -> int:
    if k < MIN_CELL_FLOOR:
        raise ValueError(f"the small-cell threshold must be at least {MIN_CELL_FLOOR}, got {k}")
    return k


def complementary(n: np.ndarray, k: int, residual: np.ndarray | None = None) -> np.ndarray:
    """Which cells of a breakdown published in one row (categories in order) are suppressed:
    the rule of `survey.suppression`, plus the empty cells (nothing to publish in them)."""
    n = np.asarray(n)
    withheld = [False] * len(n) if residual is None else [bool(r) for r in residual]
    hidden = np.array(hidden_categories([[int(v) for v in n]], k, withheld), dtype=bool)
    return hidden | (n == 0)


def hidden_groups(data: Dataset, k: int) -> pd.DataFrame:
    """Per breakdown group of every response set of `data`: whether it is hidden (`_hidden`),
    in every row of every table, keyed by the columns of `BREAKDOWN`."""
    parts = []
    for response_set in data:
        stats = response_set.statistics
        for margin in stats.margins[1:]:
            grouping = margin.grouping
            # A statement's cell counts who answered it (codes 1-7); a unit's, its respondents.
            answered = margin.item_counts[..., 1:].sum(axis=-1)
            counts = np.concatenate([answered, margin.unit_respondents], axis=1).T
            residual = np.arange(grouping.size) == len(grouping.values)
            hidden = hidden_categories(counts.tolist(), k, residual.tolist())
            parts.append(pd.DataFrame({
                "administration": response_set.administration, "wave": response_set.wave,
                "survey": response_set.survey, "group_var": grouping.var,
                "group_value": np.array([*grouping.values, ""], dtype=object),
                "_residual": residual, "_hidden": np.array(hidden, dtype=bool),
            }))  # fmt: skip
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in [*BREAKDOWN, "_hidden"]})
    return pd.concat(parts, ignore_index=True)


def suppress(
    frame: pd.DataFrame, *, hidden: pd.DataFrame, n: str, values: list[str], k: int
) -> pd.DataFrame:
    """Apply the rules to a result table with the columns of `BREAKDOWN` (`_residual` a bool;
    residual rows are dropped after use) and a count column `n`; `hidden` is `hidden_groups`
    of the same data. An overall row is suppressed below k; a breakdown row when its group is
    hidden, or holds nobody. Values of suppressed rows become missing; `suppressed` is
    added."""
    check_min_cell(k)
    counts = frame[n].to_numpy()
    in_breakdown = (frame["group_var"] != "").to_numpy()
    if in_breakdown.any():
        keyed = frame[BREAKDOWN].merge(hidden, on=BREAKDOWN, how="left", validate="many_to_one")
        group_hidden = keyed["_hidden"].fillna(True).to_numpy(dtype=bool)
    else:
        group_hidden = np.zeros(len(frame), dtype=bool)
    suppressed = np.where(in_breakdown, group_hidden | (counts == 0), counts < k)
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

"""The item and factor result tables of SCORING.md, published (small cells suppressed: a
breakdown hides the same groups in both tables and every row, `analysis.suppression`).

One row per item (or factor, construct, overall index) and group: the overall row (empty
`group_var` and `group_value`), then one row per category of every breakdown question.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.frames import Dataset, ResponseSet
from analysis.labels import unit_name
from analysis.metrics import item_metrics, unit_metrics
from analysis.statistics import Margin
from analysis.suppression import DEFAULT_MIN_CELL, hidden_groups, suppress
from analysis.weighted import cell_weights, unit_effective_n, weighted_item_metrics

ITEM_COLUMNS = [
    "administration", "wave", "survey", "item_id", "factor", "group_var", "group_value",
    "n_valid", "n_dk", "n_pna", "score", "pct_favourable", "pct_unfavourable", "ci_low",
    "ci_high", "dk_rate", "pna_rate", "suppressed",
]  # fmt: skip
ITEM_VALUES = ITEM_COLUMNS[7:-1]
FACTOR_COLUMNS = [
    "administration", "wave", "survey", "factor", "factor_name", "group_var", "group_value",
    "n_respondents", "score", "pct_favourable", "alpha", "suppressed",
]  # fmt: skip
FACTOR_VALUES = FACTOR_COLUMNS[7:-1]
# Weighted tables (`analysis.weighted`) add Kish's effective n, which their intervals use.
WEIGHTED_ITEM_COLUMNS = [*ITEM_COLUMNS[:-1], "n_effective", "suppressed"]
WEIGHTED_FACTOR_COLUMNS = [*FACTOR_COLUMNS[:-1], "n_effective", "suppressed"]


def _group_columns(response_set: ResponseSet, margin: Margin, inner: int) -> dict:
    """The identifying columns for a margin's (groups x inner) cells, row-major."""
    grouping = margin.grouping
    groups = grouping.size
    values = np.array([*grouping.values, ""][:groups], dtype=object)
    return {
        "administration": response_set.administration,
        "wave": response_set.wave,
        "survey": response_set.survey,
        "group_var": grouping.var or "",
        "group_value": np.repeat(values, inner),
        "_residual": np.repeat(np.arange(groups) == len(grouping.values), inner)
        & (grouping.var is not None),
    }


def _margins(response_set: ResponseSet, breakdowns: bool) -> tuple[Margin, ...]:
    margins = response_set.statistics.margins
    return margins if breakdowns else margins[:1]


def _cell_weights(response_set: ResponseSet, weighted: bool) -> np.ndarray | None:
    """The weight of each statistics cell, when weighted figures are asked and the set has
    weights (else None)."""
    if not weighted or response_set.weights is None:
        return None
    weights = response_set.weights.reindex(response_set.respondents.index).to_numpy(dtype=float)
    return cell_weights(response_set.statistics, weights)


def raw_item_rows(
    response_set: ResponseSet, breakdowns: bool = True, weighted: bool = False
) -> pd.DataFrame:
    """Item rows before suppression, with the residual groups and `n_answered` (and
    `n_effective` when `weighted`: the set's weights apply if it has any)."""
    stats = response_set.statistics
    factor_of = np.array([q.factor for q in response_set.questionnaire.scored_items], dtype=int)
    w = _cell_weights(response_set, weighted)
    parts = []
    for d, margin in enumerate(_margins(response_set, breakdowns)):
        k = len(stats.item_ids)
        metrics = item_metrics(margin.item_counts)
        if w is not None:
            metrics = weighted_item_metrics(stats, d, w)
        elif weighted:
            metrics["n_effective"] = metrics["n_valid"].astype(float)
        part = _group_columns(response_set, margin, k)
        groups = margin.item_counts.shape[0]
        part["item_id"] = np.tile(np.array(stats.item_ids, dtype=object), groups)
        part["factor"] = np.tile(factor_of, groups)
        part.update({name: values.reshape(-1) for name, values in metrics.items()})
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def raw_factor_rows(
    response_set: ResponseSet, language: str = "en", breakdowns: bool = True,
    weighted: bool = False,
) -> pd.DataFrame:  # fmt: skip
    """Factor, construct and index rows before suppression, with the residual groups (and
    `n_effective` when `weighted`)."""
    stats = response_set.statistics
    ids = np.array([unit.id for unit in stats.units], dtype=object)
    names = np.array(
        [unit_name(unit.id, response_set.questionnaire, language) for unit in stats.units],
        dtype=object,
    )
    w = _cell_weights(response_set, weighted)
    parts = []
    for d, margin in enumerate(_margins(response_set, breakdowns)):
        if w is None:
            metrics = unit_metrics(stats, margin, item_metrics(margin.item_counts))
        else:
            metrics = unit_metrics(stats, margin, weighted_item_metrics(stats, d, w))
            metrics["n_effective"] = unit_effective_n(stats, d, w)
        if weighted and w is None:
            metrics["n_effective"] = metrics["n_respondents"].astype(float)
        groups = margin.item_counts.shape[0]
        part = _group_columns(response_set, margin, len(ids))
        part["factor"] = np.tile(ids, groups)
        part["factor_name"] = np.tile(names, groups)
        part.update({name: values.reshape(-1) for name, values in metrics.items()})
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


def items_table(
    data: Dataset,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    breakdowns: bool = True,
    weighted: bool = False,
) -> pd.DataFrame:
    """The `items` table: every scored item, overall and per breakdown category; `weighted`:
    figures of the sets that have weights weighted, with `n_effective`."""
    columns = WEIGHTED_ITEM_COLUMNS if weighted else ITEM_COLUMNS
    frames = [raw_item_rows(s, breakdowns, weighted) for s in data]
    if not frames:
        return _empty(columns)
    raw = pd.concat(frames, ignore_index=True)
    values = columns[7:-1]
    hidden = hidden_groups(data, min_cell)
    published = suppress(raw, hidden=hidden, n="n_answered", values=values, k=min_cell)
    return published[columns]


def factors_table(
    data: Dataset,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    language: str = "en",
    breakdowns: bool = True,
    weighted: bool = False,
) -> pd.DataFrame:
    """The `factors` table: key factors, constructs and the overall integrity index
    (`factor` = "integrity_index"), overall and per breakdown category; `weighted` as in
    `items_table`."""
    columns = WEIGHTED_FACTOR_COLUMNS if weighted else FACTOR_COLUMNS
    frames = [raw_factor_rows(s, language, breakdowns, weighted) for s in data]
    if not frames:
        return _empty(columns)
    raw = pd.concat(frames, ignore_index=True)
    raw["_n"] = raw["n_respondents"]  # suppression: always the unweighted count
    hidden = hidden_groups(data, min_cell)
    published = suppress(raw, hidden=hidden, n="_n", values=columns[7:-1], k=min_cell)
    return published[columns]

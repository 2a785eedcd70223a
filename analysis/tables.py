"""The item and factor result tables of SCORING.md, published (small cells suppressed).

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
from analysis.suppression import DEFAULT_MIN_CELL, suppress

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


def raw_item_rows(response_set: ResponseSet, breakdowns: bool = True) -> pd.DataFrame:
    """Item rows before suppression, with the residual groups and `n_answered`."""
    stats = response_set.statistics
    factor_of = np.array([q.factor for q in response_set.questionnaire.scored_items], dtype=int)
    parts = []
    for margin in _margins(response_set, breakdowns):
        k = len(stats.item_ids)
        metrics = item_metrics(margin.item_counts)
        part = _group_columns(response_set, margin, k)
        groups = margin.item_counts.shape[0]
        part["item_id"] = np.tile(np.array(stats.item_ids, dtype=object), groups)
        part["factor"] = np.tile(factor_of, groups)
        part.update({name: values.reshape(-1) for name, values in metrics.items()})
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def raw_factor_rows(
    response_set: ResponseSet, language: str = "en", breakdowns: bool = True
) -> pd.DataFrame:
    """Factor, construct and index rows before suppression, with the residual groups."""
    stats = response_set.statistics
    ids = np.array([unit.id for unit in stats.units], dtype=object)
    names = np.array(
        [unit_name(unit.id, response_set.questionnaire, language) for unit in stats.units],
        dtype=object,
    )
    parts = []
    for margin in _margins(response_set, breakdowns):
        metrics = unit_metrics(stats, margin, item_metrics(margin.item_counts))
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
    data: Dataset, *, min_cell: int = DEFAULT_MIN_CELL, breakdowns: bool = True
) -> pd.DataFrame:
    """The `items` table: every scored item, overall and per breakdown category."""
    frames = [raw_item_rows(s, breakdowns) for s in data]
    if not frames:
        return _empty(ITEM_COLUMNS)
    raw = pd.concat(frames, ignore_index=True)
    unit = ["administration", "wave", "survey", "item_id"]
    published = suppress(raw, unit=unit, n="n_answered", values=ITEM_VALUES, k=min_cell)
    return published[ITEM_COLUMNS]


def factors_table(
    data: Dataset,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    language: str = "en",
    breakdowns: bool = True,
) -> pd.DataFrame:
    """The `factors` table: key factors, constructs and the overall integrity index
    (`factor` = "integrity_index"), overall and per breakdown category."""
    frames = [raw_factor_rows(s, language, breakdowns) for s in data]
    if not frames:
        return _empty(FACTOR_COLUMNS)
    raw = pd.concat(frames, ignore_index=True)
    raw["_n"] = raw["n_respondents"]
    unit = ["administration", "wave", "survey", "factor"]
    published = suppress(raw, unit=unit, n="_n", values=FACTOR_VALUES, k=min_cell)
    return published[FACTOR_COLUMNS]

"""The perception gap (officials minus private sector, same administration and wave) and the
trend (a wave minus the wave before it, same administration and survey), per key factor,
construct and item, with Newcombe hybrid-score intervals (SCORING.md, "Comparisons").

Both are computed from the published overall rows of the factor and item tables, so a
comparison is suppressed whenever either side is. Differences and their intervals are in
percentage points of pct_favourable. A factor enters with n = n_respondents, an item with its
n_valid (in weighted tables, both with Kish's effective n instead). The overall integrity
index has no pct_favourable and is not compared.

Choices SCORING.md leaves open, made here: trends compare each wave with the one before it in
wave order (numbers in labels compare as numbers: 2024 < 2026-1 < 2026-2); items are compared
across waves by item id, across the two surveys by their `link`; constructs are compared when
both sides have one with the same id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.frames import Dataset, wave_order
from analysis.intervals import newcombe
from analysis.statistics import INDEX

GAP_COLUMNS = [
    "administration", "wave", "factor", "factor_name", "item_id", "linked_item_id",
    "officials_pct_favourable", "officials_n", "private_sector_pct_favourable",
    "private_sector_n", "difference", "ci_low", "ci_high", "significant", "suppressed",
]  # fmt: skip
TREND_COLUMNS = [
    "administration", "survey", "factor", "factor_name", "item_id", "wave", "earlier_wave",
    "pct_favourable", "n", "pct_favourable_earlier", "n_earlier", "difference", "ci_low",
    "ci_high", "significant", "suppressed",
]  # fmt: skip


def _overall(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["group_var"] == ""]


def _sides(table: pd.DataFrame, level: str) -> pd.DataFrame:
    """Overall published rows reduced to: keys, factor, name, p (pct), n, suppressed."""
    rows = _overall(table)
    if level == "factor":
        rows = rows[rows["factor"] != INDEX]
        return pd.DataFrame(
            {
                "administration": rows["administration"],
                "wave": rows["wave"],
                "survey": rows["survey"],
                "factor": rows["factor"].astype(str),
                "factor_name": rows["factor_name"],
                "item_id": "",
                "pct": rows["pct_favourable"].astype(float),
                "n": rows["n_effective"] if "n_effective" in rows else rows["n_respondents"],
                "suppressed": rows["suppressed"].astype(bool),
            }
        )
    return pd.DataFrame(
        {
            "administration": rows["administration"],
            "wave": rows["wave"],
            "survey": rows["survey"],
            "factor": rows["factor"].astype(str),
            "factor_name": "",
            "item_id": rows["item_id"],
            "pct": rows["pct_favourable"].astype(float),
            "n": rows["n_effective"] if "n_effective" in rows else rows["n_valid"],
            "suppressed": rows["suppressed"].astype(bool),
        }
    )


def _difference(frame: pd.DataFrame, left: str, right: str) -> pd.DataFrame:
    """Add difference, ci_low, ci_high, significant, suppressed from two sides' p and n."""
    suppressed = frame[f"suppressed{left}"].to_numpy() | frame[f"suppressed{right}"].to_numpy()
    n1 = frame[f"n{left}"].astype("Float64").fillna(0).to_numpy(dtype=float)
    n2 = frame[f"n{right}"].astype("Float64").fillna(0).to_numpy(dtype=float)
    p1 = frame[f"pct{left}"].to_numpy(dtype=float) / 100
    p2 = frame[f"pct{right}"].to_numpy(dtype=float) / 100
    difference, low, high = newcombe(p1, n1, p2, n2)
    out = frame.copy()
    out["difference"] = np.where(suppressed, np.nan, 100 * difference)
    out["ci_low"] = np.where(suppressed, np.nan, 100 * low)
    out["ci_high"] = np.where(suppressed, np.nan, 100 * high)
    significant = (low > 0) | (high < 0)
    out["significant"] = pd.array(
        [None if s else bool(v) for s, v in zip(suppressed, significant, strict=True)],
        dtype="boolean",
    )
    out["suppressed"] = suppressed
    return out


def _named(frame: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """Item rows get the name of their key factor too."""
    names = dict(zip(factors["factor"].astype(str), factors["factor_name"], strict=False))
    return frame.assign(factor_name=frame["factor"].map(names).fillna(""))


def _factor_order(frame: pd.DataFrame) -> pd.Series:
    """Key factors by number, then constructs, then items."""
    number = pd.to_numeric(frame["factor"], errors="coerce").fillna(99)
    return number * 2 + (frame["item_id"] != "")


def gaps_table(data: Dataset, factors: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The `gaps` table from the published factor and item tables of `data`."""
    links = pd.DataFrame(
        [
            (s.administration, s.wave, q.id, q.link)
            for s in data
            if s.survey == "officials"
            for q in s.questionnaire.scored_items
            if q.link
        ],
        columns=["administration", "wave", "item_id", "linked_item_id"],
    )
    parts = []
    for level, table in (("factor", factors), ("item", items)):
        sides = _sides(table, level)
        officials = sides[sides["survey"] == "officials"].drop(columns="survey")
        private = sides[sides["survey"] == "private_sector"].drop(columns="survey")
        if level == "factor":
            officials = officials.assign(linked_item_id="")
            private = private.rename(columns={"item_id": "linked_item_id"})
            on = ["administration", "wave", "factor", "linked_item_id"]
        else:
            officials = officials.merge(links, on=["administration", "wave", "item_id"])
            private = private.rename(columns={"item_id": "linked_item_id"})
            on = ["administration", "wave", "factor", "linked_item_id"]
        private = private.drop(columns="factor_name")
        merged = officials.merge(private, on=on, suffixes=("_o", "_p"))
        merged = merged.rename(columns={"item_id_o": "item_id"})
        parts.append(_difference(merged, "_o", "_p"))
    gaps = _named(pd.concat(parts, ignore_index=True), factors)
    gaps = gaps.rename(
        columns={
            "pct_o": "officials_pct_favourable",
            "n_o": "officials_n",
            "pct_p": "private_sector_pct_favourable",
            "n_p": "private_sector_n",
        }
    )
    gaps = gaps.assign(_wave=gaps["wave"].map(wave_order), _order=_factor_order(gaps))
    gaps = gaps.sort_values(["administration", "_wave", "_order"], kind="stable")
    return gaps[GAP_COLUMNS].reset_index(drop=True)


def trends_table(data: Dataset, factors: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The `trends` table: each wave against the wave before it, same administration and
    survey."""
    pairs = pd.DataFrame(
        [
            (administration, survey, waves[i], waves[i - 1])
            for administration in data.administrations()
            for survey in sorted({s.survey for s in data})
            for waves in [data.waves(administration, survey)]
            for i in range(1, len(waves))
        ],
        columns=["administration", "survey", "wave", "earlier_wave"],
    )
    parts = []
    for level, table in (("factor", factors), ("item", items)):
        sides = _sides(table, level)
        later = sides.merge(pairs, on=["administration", "survey", "wave"])
        earlier = sides.rename(columns={"wave": "earlier_wave"}).drop(columns="factor_name")
        merged = later.merge(
            earlier,
            on=["administration", "survey", "earlier_wave", "factor", "item_id"],
            suffixes=("", "_earlier"),
        )
        parts.append(_difference(merged, "", "_earlier"))
    trends = _named(pd.concat(parts, ignore_index=True), factors)
    trends = trends.rename(
        columns={"pct": "pct_favourable", "pct_earlier": "pct_favourable_earlier"}
    )
    trends = trends.assign(_wave=trends["wave"].map(wave_order), _order=_factor_order(trends))
    trends = trends.sort_values(["administration", "survey", "_wave", "_order"], kind="stable")
    return trends[TREND_COLUMNS].reset_index(drop=True)

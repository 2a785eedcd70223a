"""Every result table of one analysis, computed once: what `cips analyze`, the web back end and
a notebook call.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.comparisons import gaps_table, trends_table
from analysis.frames import Dataset, wave_order
from analysis.quality import quality_table, without_straightliners
from analysis.reports import Kpi, kpis_table, problems_table
from analysis.suppression import DEFAULT_MIN_CELL, check_min_cell
from analysis.tables import factors_table, items_table

TABLE_NAMES = ("items", "factors", "gaps", "trends", "problems", "kpis", "quality")


@dataclass(frozen=True)
class Results:
    items: pd.DataFrame
    factors: pd.DataFrame
    gaps: pd.DataFrame
    trends: pd.DataFrame
    problems: pd.DataFrame
    kpis: pd.DataFrame
    quality: pd.DataFrame  # straight-lining counts (`analysis.quality`)
    min_cell: int
    language: str
    # Weighted figures (raking weights, `analysis.weights`) where a survey has them, with
    # `n_effective` in the items and factors tables; suppression as unweighted.
    weighted: bool = False
    # The waves whose own response sets have weights (margins set on their campaigns): only
    # their figures are weighted, whatever the earlier waves loaded for the trends hold.
    weighted_waves: tuple[str, ...] = ()

    def mixed_trends(self) -> list[tuple[str, str]]:
        """(weighted wave, unweighted wave) of each trend that compares a weighted wave with an
        unweighted one, in either order (README, "Weights")."""
        pairs = self.trends[["wave", "earlier_wave"]].drop_duplicates()
        mixed = []
        for later, earlier in pairs.itertuples(index=False):
            if (later in self.weighted_waves) != (earlier in self.weighted_waves):
                weighted = later if later in self.weighted_waves else earlier
                mixed.append((weighted, earlier if weighted == later else later))
        return mixed

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in TABLE_NAMES}

    def for_wave(self, wave: str) -> Results:
        """The same results restricted to one wave (trends: compared with the wave before;
        the KPI table keeps every wave up to it)."""
        keep = {
            name: table[table["wave"] == wave].reset_index(drop=True)
            for name, table in self.tables.items()
            if name != "kpis"
        }
        later = [c for c in self.kpis.columns[5:] if wave_order(c) > wave_order(wave)]
        return Results(
            **keep,
            kpis=self.kpis.drop(columns=later),
            min_cell=self.min_cell,
            language=self.language,
            weighted=self.weighted and wave in self.weighted_waves,
            weighted_waves=tuple(
                w for w in self.weighted_waves if wave_order(w) <= wave_order(wave)
            ),
        )


def analyze(
    data: Dataset,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    language: str = "en",
    kpis: list[Kpi] | None = None,
    top: int = 10,
    exclude_straightliners: bool = False,
    weighted: bool = False,
) -> Results:
    """All the result tables of `data`, small cells suppressed with threshold `min_cell`, names
    in `language`; without the respondents flagged as straight-liners if asked (the `quality`
    table counts them either way); `weighted`: the figures of the response sets that have
    weights weighted (`analysis.weights`); unweighted tables when no set has any."""
    check_min_cell(min_cell)
    weighted_waves = _weighted_waves(data) if weighted else ()
    weighted = bool(weighted_waves)
    quality = quality_table(data, excluded=exclude_straightliners, min_cell=min_cell)
    if exclude_straightliners:
        data = without_straightliners(data)
    items = items_table(data, min_cell=min_cell, weighted=weighted)
    factors = factors_table(data, min_cell=min_cell, language=language, weighted=weighted)
    return Results(
        items=items,
        factors=factors,
        gaps=gaps_table(data, factors, items),
        trends=trends_table(data, factors, items),
        problems=problems_table(factors, items, top=top),
        kpis=kpis_table(data, factors, items, kpis, language),
        quality=quality,
        min_cell=min_cell,
        language=language,
        weighted=weighted,
        weighted_waves=weighted_waves,
    )


def _weighted_waves(data: Dataset) -> tuple[str, ...]:
    """The waves of `data` with a response set that has weights, earliest first."""
    return tuple(sorted({s.wave for s in data if s.weights is not None}, key=wave_order))

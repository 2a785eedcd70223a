"""Views for people who would rather look than read, built from the published tables only:
"where the problems are" (the weakest key factors, items and groups) and KPIs across waves.

Both use published values, so a suppressed cell never appears in them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from analysis.frames import Dataset, wave_order
from analysis.statistics import INDEX
from survey.i18n import Text, render

PROBLEM_COLUMNS = [
    "administration", "wave", "survey", "level", "rank", "factor", "factor_name", "item_id",
    "group_var", "group_value", "n", "score", "pct_favourable", "below_overall",
]  # fmt: skip
KPI_FIXED_COLUMNS = ["administration", "survey", "kpi", "name", "metric"]
KPI_METRICS = ("score", "pct_favourable", "pct_unfavourable", "dk_rate", "pna_rate", "alpha")
_KPI = re.compile(r"^(officials|private_sector|other):(factor|item):([a-z0-9_]+):([a-z_]+)$")


def problems_table(factors: pd.DataFrame, items: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """Per administration, wave and survey: the `top` key factors and items with the lowest
    published score, and the `top` (factor, group) cells furthest below the overall factor
    score (`below_overall`, in points; only groups below it)."""
    keys = ["administration", "wave", "survey"]
    published = factors[~factors["suppressed"].astype(bool)]
    key_factors = published[published["factor"].astype(str).str.isdigit()]
    overall = key_factors[key_factors["group_var"] == ""]
    groups = key_factors[key_factors["group_var"] != ""].merge(
        overall[[*keys, "factor", "score"]], on=[*keys, "factor"], suffixes=("", "_overall")
    )
    groups = groups.assign(below_overall=groups["score_overall"] - groups["score"])
    groups = groups[groups["below_overall"] > 0]
    item_rows = items[(items["group_var"] == "") & ~items["suppressed"].astype(bool)]
    names = dict(zip(factors["factor"].astype(str), factors["factor_name"], strict=False))
    parts = [
        _ranked(overall.assign(n=overall["n_respondents"]), "factor", "score", True, top),
        _ranked(
            item_rows.assign(n=item_rows["n_valid"], factor=item_rows["factor"].astype(str)),
            "item",
            "score",
            True,
            top,
        ),
        _ranked(groups.assign(n=groups["n_respondents"]), "group", "below_overall", False, top),
    ]
    table = pd.concat(parts, ignore_index=True)
    table["factor_name"] = table["factor"].astype(str).map(names).fillna("")
    table = table.assign(_wave=table["wave"].map(wave_order), _level=table["level"].map(
        {"factor": 0, "item": 1, "group": 2}))  # fmt: skip
    table = table.sort_values(["administration", "_wave", "survey", "_level", "rank"])
    return (
        table.reindex(columns=PROBLEM_COLUMNS)
        .fillna({"item_id": "", "group_var": "", "group_value": ""})
        .reset_index(drop=True)
    )


def _ranked(rows: pd.DataFrame, level: str, by: str, ascending: bool, top: int) -> pd.DataFrame:
    rows = rows.dropna(subset=[by]).sort_values(by, ascending=ascending, kind="stable")
    rows = rows.groupby(["administration", "wave", "survey"], sort=False).head(top)
    rank = rows.groupby(["administration", "wave", "survey"], sort=False).cumcount() + 1
    return rows.assign(level=level, rank=rank)


@dataclass(frozen=True)
class Kpi:
    """An indicator tracked across waves: a key factor, construct, the overall index
    (level "factor", id "integrity_index") or an item, and one of its measures."""

    survey: str
    level: str
    id: str
    metric: str

    @classmethod
    def parse(cls, text: str) -> Kpi:
        """'officials:item:ai2:pct_favourable', 'private_sector:factor:6:score', ..."""
        match = _KPI.match(text.strip())
        if not match or match.group(4) not in KPI_METRICS:
            raise ValueError(
                f"not an indicator: {text!r} (use SURVEY:factor|item:ID:METRIC, METRIC one of "
                f"{', '.join(KPI_METRICS)}; e.g. officials:item:ai2:pct_favourable)"
            )
        return cls(*match.groups())

    def __str__(self) -> str:
        return f"{self.survey}:{self.level}:{self.id}:{self.metric}"


_A = {"factor": "a factor", "item": "an item"}


class UnknownKpi(ValueError):
    """An indicator that names what the data does not have: it would give an empty row."""


def _known(data: Dataset, survey: str) -> dict[str, list[str]]:
    """What an indicator of `survey` may name in `data`: its items and its factors (the overall
    index, the key factors, the constructs), in the questionnaire's order."""
    items: dict[str, None] = {}
    factors: dict[str, None] = {INDEX: None}
    for part in (s for s in data if s.survey == survey):
        items.update(dict.fromkeys(q.id for q in part.questionnaire.scored_items))
        numbers = sorted({q.factor for q in part.questionnaire.scored_items})
        factors.update(dict.fromkeys(str(number) for number in numbers))
        factors.update(dict.fromkeys(c.id for c in part.questionnaire.constructs))
    return {"item": list(items), "factor": list(factors)}


def check_kpis(data: Dataset, kpis: list[Kpi], measured: dict[str, list[str]]) -> None:
    """Refuse an indicator whose survey, item, factor or metric `data` does not have, naming
    what it has (`measured`: the metrics of each level, the columns of its table)."""
    surveys = sorted({s.survey for s in data})
    for kpi in kpis if surveys else ():  # no data at all: the caller says so
        if kpi.survey not in surveys:
            raise UnknownKpi(f"{kpi}: no {kpi.survey} responses (surveys: {', '.join(surveys)})")
        known = _known(data, kpi.survey)[kpi.level]
        if kpi.id not in known:
            raise UnknownKpi(
                f"{kpi}: no {kpi.level} {kpi.id} in the {kpi.survey} survey "
                f"({kpi.level}s: {', '.join(known)})"
            )
        metrics = [m for m in KPI_METRICS if m in measured[kpi.level]]
        if kpi.metric not in metrics:
            raise UnknownKpi(
                f"{kpi}: {kpi.metric} is not measured for {_A[kpi.level]} "
                f"(metrics: {', '.join(metrics)})"
            )


def default_kpis(data: Dataset) -> list[Kpi]:
    """Per survey: the overall integrity index score, then % favourable per key factor and
    construct."""
    kpis: list[Kpi] = []
    for survey in sorted({s.survey for s in data}):
        sets = [s for s in data if s.survey == survey]
        factors = sorted({q.factor for s in sets for q in s.questionnaire.scored_items})
        constructs = sorted({c.id for s in sets for c in s.questionnaire.constructs})
        kpis.append(Kpi(survey, "factor", INDEX, "score"))
        kpis += [Kpi(survey, "factor", str(f), "pct_favourable") for f in factors]
        kpis += [Kpi(survey, "factor", c, "pct_favourable") for c in constructs]
    return kpis


def kpis_table(
    data: Dataset,
    factors: pd.DataFrame,
    items: pd.DataFrame,
    kpis: list[Kpi] | None = None,
    language: str = "en",
) -> pd.DataFrame:
    """One row per administration and indicator, one column per wave (earliest first), from
    the published overall rows (empty where suppressed or not measured)."""
    kpis = default_kpis(data) if kpis is None else kpis
    waves = sorted({s.wave for s in data}, key=wave_order)
    overall_factors = factors[factors["group_var"] == ""].assign(
        _id=lambda f: f["factor"].astype(str)
    )
    overall_items = items[items["group_var"] == ""].assign(_id=lambda f: f["item_id"])
    check_kpis(data, kpis, {"factor": list(factors.columns), "item": list(items.columns)})
    statements = {
        (s.survey, q.id): render(Text(q.text, context=f"{s.questionnaire.id}:{q.id}"), language)
        for s in data
        for q in s.questionnaire.scored_items
    }
    rows = []
    for administration in data.administrations():
        for kpi in kpis:
            table = overall_factors if kpi.level == "factor" else overall_items
            found = table[
                (table["administration"] == administration)
                & (table["survey"] == kpi.survey)
                & (table["_id"] == kpi.id)
            ]
            if found.empty:
                continue
            if kpi.level == "factor":
                name = found["factor_name"].iloc[0]
            else:
                name = statements.get((kpi.survey, kpi.id), kpi.id)
            row = {"administration": administration, "survey": kpi.survey, "kpi": str(kpi),
                   "name": name, "metric": kpi.metric}  # fmt: skip
            by_wave = dict(zip(found["wave"], found[kpi.metric], strict=True))
            row.update({wave: by_wave.get(wave) for wave in waves})
            rows.append(row)
    table = pd.DataFrame(rows, columns=[*KPI_FIXED_COLUMNS, *waves])
    for wave in waves:
        table[wave] = pd.to_numeric(table[wave], errors="coerce").astype(float)
    return table

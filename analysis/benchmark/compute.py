"""The benchmark: how each published figure spreads across administrations.

For each item, key factor, construct and the overall index, per survey, on score and percent
favourable (unweighted: each administration counts once, whatever its size): the median and
quartiles (NumPy's default, linear interpolation) across administrations, over all of them and
per region. A group is published only when at least five administrations each have at least k
respondents in it (k: this installation's; an administration's cell below k is suppressed in its
own release already); otherwise it is suppressed, saying why. An item or unit that two
participants' questionnaire versions define differently (`payload.definition`) is left out of
every group, and listed.

`values` holds every administration's figure, rank (1 = highest) and difference from the median
(for percent favourable with a 95% interval: its Wilson interval less the median, with n the
effective sample size of a weighted release, else the count): the host's
benchmark role sees it whole; a published benchmark file never holds it (`published`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.benchmark.store import Participant
from analysis.intervals import wilson

MIN_ADMINISTRATIONS = 5
MEASURES = ("score", "pct_favourable")
LEVELS = ("index", "factor", "construct", "item")
GROUP_COLUMNS = ["region", "survey", "level", "unit", "name", "measure"]
DISTRIBUTION_COLUMNS = [*GROUP_COLUMNS, "administrations", "q1", "median", "q3", "suppressed",
                        "reason"]  # fmt: skip
VALUE_COLUMNS = [*GROUP_COLUMNS, "administration", "administration_name", "wave", "weighted",
                 "n", "n_effective", "value", "rank", "of", "difference", "difference_low",
                 "difference_high"]  # fmt: skip
EXCLUDED_COLUMNS = ["survey", "level", "unit", "reason"]


@dataclass(frozen=True)
class Benchmark:
    distributions: pd.DataFrame
    values: pd.DataFrame
    excluded: pd.DataFrame
    min_cell: int
    participants: list[Participant]

    def regions(self) -> list[str]:
        return sorted({p.region for p in self.participants if p.region})


@dataclass(frozen=True)
class _Row:
    survey: str
    level: str
    unit: str
    name: str
    definition: str
    n: int | None  # the respondents the suppression rule counts
    n_base: int | None  # the base of percent favourable (an item's valid answers)
    # A weighted release's effective n (Kish): its intervals' n in place of `n_base`; None
    # unweighted (and in version 1 files, which do not say).
    n_effective: float | None
    score: float | None
    pct_favourable: float | None


def _rows(payload: dict) -> list[_Row]:
    rows = []
    for item in payload["items"]:
        counts = (item["n_valid"], item["n_dk"], item["n_pna"])
        n = None if None in counts else sum(counts)
        rows.append(_Row(item["survey"], "item", item["item_id"], item["item_id"],
                         item["definition"], n, item["n_valid"], item.get("n_effective"),
                         item["score"], item["pct_favourable"]))  # fmt: skip
    for unit in payload["units"]:
        rows.append(_Row(unit["survey"], unit["kind"], unit["unit"], unit["name"],
                         unit["definition"], unit["n_respondents"], unit["n_respondents"],
                         unit.get("n_effective"), unit["score"], unit["pct_favourable"]))  # fmt: skip
    return rows


def _versions(participants: list[Participant], survey: str) -> str:
    by_version: dict[str, list[str]] = defaultdict(list)
    for p in participants:
        for s in p.payload["surveys"]:
            if s["survey"] == survey:
                by_version[f"{s['questionnaire']} {s['questionnaire_version']}"].append(
                    p.administration
                )
    return "; ".join(f"{v}: {', '.join(codes)}" for v, codes in sorted(by_version.items()))


def compute(participants: list[Participant], min_cell: int) -> Benchmark:
    """The benchmark of `participants` (one release each), with this installation's k."""
    rows = {p.administration: _rows(p.payload) for p in participants}
    definitions: dict[tuple, set[str]] = defaultdict(set)
    for found in rows.values():
        for row in found:
            definitions[(row.survey, row.level, row.unit)].add(row.definition)
    excluded = {key for key, seen in definitions.items() if len(seen) > 1}
    excluded_rows = [
        {"survey": s, "level": level, "unit": unit,
         "reason": f"defined differently by the questionnaire versions taking part ({_versions(participants, s)})"}
        for s, level, unit in sorted(excluded)
    ]  # fmt: skip

    scopes = [("", participants)]
    for region in sorted({p.region for p in participants if p.region}):
        scopes.append((region, [p for p in participants if p.region == region]))
    distributions, values = [], []
    order = {level: i for i, level in enumerate(LEVELS)}
    for region, members in scopes:
        cells: dict[tuple, list[tuple[Participant, _Row]]] = defaultdict(list)
        names: dict[tuple, str] = {}
        for p in members:
            for row in rows[p.administration]:
                key = (row.survey, row.level, row.unit)
                if key not in excluded:
                    cells[key].append((p, row))
                    names.setdefault(key, row.name)
        for key in sorted(cells, key=lambda k: (k[0], order[k[1]], _natural(k[2]))):
            survey, level, unit = key
            for measure in MEASURES:
                if level == "index" and measure == "pct_favourable":
                    continue  # the index is a mean of scores only (SCORING.md)
                group = {"region": region, "survey": survey, "level": level, "unit": unit,
                         "name": names[key], "measure": measure}  # fmt: skip
                eligible = [(p, r, getattr(r, measure)) for p, r in cells[key]
                            if r.n is not None and r.n >= min_cell
                            and getattr(r, measure) is not None]  # fmt: skip
                count = len(eligible)
                published = count >= MIN_ADMINISTRATIONS
                q1 = median = q3 = None
                reason = ""
                if published:
                    q1, median, q3 = (float(v) for v in
                                      np.percentile([v for *_, v in eligible], [25, 50, 75]))  # fmt: skip
                else:
                    reason = (f"{count} administration(s) with at least {min_cell} respondents; "
                              f"{MIN_ADMINISTRATIONS} needed")  # fmt: skip
                distributions.append({**group, "administrations": count, "q1": q1,
                                      "median": median, "q3": q3, "suppressed": not published,
                                      "reason": reason})  # fmt: skip
                eligible_ids = {p.administration: v for p, _r, v in eligible}
                ranked = sorted(eligible_ids.values(), reverse=True)
                for p, r in cells[key]:
                    value = eligible_ids.get(p.administration)
                    entry = {**group, "administration": p.administration,
                             "administration_name": p.name, "wave": p.wave,
                             "weighted": bool(p.payload.get("weighted", False)), "n": r.n,
                             "n_effective": r.n_effective,
                             "value": value, "rank": None, "of": count if published else None,
                             "difference": None, "difference_low": None,
                             "difference_high": None}  # fmt: skip
                    if published and value is not None:
                        entry["rank"] = 1 + sum(1 for v in ranked if v > value)
                        entry["difference"] = value - median
                        base = r.n_base if r.n_effective is None else r.n_effective
                        if measure == "pct_favourable" and base:
                            low, high = wilson(value / 100, base)
                            entry["difference_low"] = float(low) * 100 - median
                            entry["difference_high"] = float(high) * 100 - median
                    values.append(entry)
    return Benchmark(
        distributions=pd.DataFrame(distributions, columns=DISTRIBUTION_COLUMNS),
        values=pd.DataFrame(values, columns=VALUE_COLUMNS),
        excluded=pd.DataFrame(excluded_rows, columns=EXCLUDED_COLUMNS),
        min_cell=min_cell,
        participants=participants,
    )


def _natural(unit: str) -> tuple:
    return (0, int(unit), "") if unit.isdigit() else (1, 0, unit)

"""The benchmark a host publishes to everyone (`cips benchmark export`): the distributions only,
signed by the host. Each published group gives its number of administrations, quartiles and
median; a suppressed group its reason. Never an administration's value, rank, minimum or
maximum, nor the list of administrations. JSON Schema: `schema/benchmark-1.schema.json`."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analysis.benchmark.compute import Benchmark

KIND = "cips-benchmark"
GROUP_FIELDS = ("region", "survey", "level", "unit", "name", "measure", "administrations", "q1",
                "median", "q3", "suppressed", "reason")  # fmt: skip


def _number(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    number = round(float(value), 9)
    return int(number) if number.is_integer() else number


def published_payload(bench: Benchmark, host: str, wave: str | None) -> dict:
    groups = []
    for row in bench.distributions.to_dict("records"):
        group = {name: row[name] for name in GROUP_FIELDS}
        for name in ("q1", "median", "q3"):
            group[name] = None if row["suppressed"] else _number(row[name])
        group["administrations"] = int(row["administrations"])
        group["suppressed"] = bool(row["suppressed"])
        groups.append(group)
    regions = {"": len(bench.participants)}
    for p in bench.participants:
        if p.region:
            regions[p.region] = regions.get(p.region, 0) + 1
    return {
        "kind": KIND,
        "schema_version": 1,
        "host": host,
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "wave": wave,
        "k": bench.min_cell,
        "regions": [{"region": r, "administrations": n} for r, n in sorted(regions.items())],
        "groups": groups,
        "excluded": bench.excluded.to_dict("records"),
    }

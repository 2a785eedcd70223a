"""Across waves (issue 23, item 5): the benchmark of one wave label or year, and the change of
each administration's position since an earlier one.

A wave is chosen by its label (`2026-1`) or a year (`2026`: each administration's latest wave of
that year, `2026` or `2026-<n>`). The change compares, group by group, an administration's rank
and difference from the median in both benchmarks, where the group was published both times:
`rank_change` > 0 means it moved up (rank 3 to rank 1 is +2); `difference_change` is the change
of its distance from the median, in points.
"""

from __future__ import annotations

import pandas as pd

from analysis.benchmark.compute import GROUP_COLUMNS, Benchmark

CHANGE_COLUMNS = ["previous_wave", "previous_rank", "previous_of", "previous_difference",
                  "rank_change", "difference_change"]  # fmt: skip


def of_wave(label: str, wave: str | None) -> bool:
    """Whether wave `label` is the one asked for: that label, or a wave of that year."""
    return wave is None or label == wave or label.startswith(f"{wave}-")


def with_changes(current: Benchmark, previous: Benchmark) -> Benchmark:
    """`current` whose values carry each administration's position in `previous` and its
    change (CHANGE_COLUMNS; empty where a group was not published both times)."""
    keys = [*GROUP_COLUMNS[:4], GROUP_COLUMNS[5], "administration"]  # the name may differ
    before = previous.values[[*keys, "wave", "rank", "of", "difference"]].rename(columns={
        "wave": "previous_wave", "rank": "previous_rank", "of": "previous_of",
        "difference": "previous_difference"})  # fmt: skip
    merged = current.values.merge(before, on=keys, how="left")
    merged["rank_change"] = merged["previous_rank"] - merged["rank"]
    merged["difference_change"] = merged["difference"] - merged["previous_difference"]
    published = merged["rank"].notna() & merged["previous_rank"].notna()
    for column in ("rank_change", "difference_change"):
        merged[column] = merged[column].where(published)
    merged = merged.astype({c: "object" for c in CHANGE_COLUMNS})
    merged = merged.where(pd.notna(merged), None)
    return Benchmark(distributions=current.distributions, values=merged,
                     excluded=current.excluded, min_cell=current.min_cell,
                     participants=current.participants)  # fmt: skip

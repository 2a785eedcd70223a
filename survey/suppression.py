"""The one small-cell suppression rule of SCORING.md, over the counts of one breakdown.

Everything shown or exported goes through `suppressed_cells`: the dashboard and the JSON API
(through `suppress`), and the result tables of `analysis` behind the results pages, `cips
analyze`, the downloads and the charts (its `suppression` module adapts this rule to pandas).

The rule, for the cells of a breakdown by one variable (k the threshold):
- a cell of 1..k-1 respondents is suppressed;
- when exactly one cell is, the complementary cell is suppressed too: the smallest non-empty
  cell among the others (ties: the one listed first), so that the suppressed one cannot be
  worked out as the total minus the cells shown.
A cell of 0 describes nobody: it is never taken as the complement (hiding a known zero protects
nobody and would leave the small cell derivable). One exception: when the only non-empty cell of
a breakdown is small, there is no complement, and the zeros shown beside it would say that the
total is all in that cell; then every cell is suppressed, zeros too. Whether a zero is shown as
0 or as empty is otherwise the caller's choice.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)


def suppressed_cells(counts: Sequence[int], k: int) -> list[bool]:
    """Which cells (counts in the order listed) are suppressed, small ones and the complement."""
    if k < 1:
        raise ValueError(f"the small-cell threshold must be positive, got {k}")
    hidden = [0 < n < k for n in counts]
    if sum(hidden) == 1:
        candidates = [(n, index) for index, n in enumerate(counts) if n >= k]
        if not candidates:  # the small cell is the whole total: hide which cell it is
            return [True] * len(counts)
        hidden[min(candidates)[1]] = True
    return hidden


def suppress(counts: Mapping[Key, int], k: int) -> dict[Key, int | None]:
    """The counts of one breakdown with the suppressed cells set to None (ties: listing order)."""
    hidden = suppressed_cells(list(counts.values()), k)
    return {key: None if gone else n for (key, n), gone in zip(counts.items(), hidden, strict=True)}

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

A breakdown published in several rows at once (the result tables: one row per statement, key
factor, construct and the index, by the same groups) hides the same categories in every row
(`hidden_categories`): picked row by row, the complement of a small cell could differ between
rows, and a figure shown in one row and hidden in another, with the relations between rows (a
key factor's score is the mean of its statements'), gives the hidden one away.
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


def hidden_categories(
    rows: Sequence[Sequence[int]], k: int, withheld: Sequence[bool] | None = None
) -> list[bool]:
    """Which categories of one breakdown are hidden, the same in every one of its `rows` (counts
    per category, in the order listed). `withheld` marks categories never published (the
    analysis's residual: respondents who left the question blank).

    - a category with 1..k-1 respondents in any row is hidden in every row;
    - in every row where a hidden cell holds someone, at least two published categories that
      hold someone there are hidden: else the next smallest non-empty category of that row is
      hidden too (ties: the one listed first), in every row. A withheld category never counts as
      one of the two: it may be empty in another row, and the cell it was to protect would be
      the overall figure minus those shown there;
    - when a row has no such category left, every category is hidden (zeros too), as with one
      row whose only non-empty cell is small.
    With one row and nothing withheld this is `suppressed_cells`, cell for cell.
    """
    if k < 1:
        raise ValueError(f"the small-cell threshold must be positive, got {k}")
    width = len(withheld) if withheld is not None else len(rows[0]) if rows else 0
    withheld = [False] * width if withheld is None else list(withheld)
    hidden = [any(0 < row[c] < k for row in rows) for c in range(width)]
    changed = True
    while changed:
        changed = False
        for row in rows:
            held = [c for c in range(width) if row[c] > 0]
            protected = [c for c in held if hidden[c]]
            published = [c for c in protected if not withheld[c]]
            if not protected or len(published) >= 2:
                continue
            candidates = [c for c in held if not hidden[c] and not withheld[c]]
            if not candidates:  # nothing left to hide it among
                return [True] * width
            hidden[min(candidates, key=lambda c: (row[c], c))] = True
            changed = True
    return hidden


def suppress(counts: Mapping[Key, int], k: int) -> dict[Key, int | None]:
    """The counts of one breakdown with the suppressed cells set to None (ties: listing order)."""
    hidden = suppressed_cells(list(counts.values()), k)
    return {key: None if gone else n for (key, n), gone in zip(counts.items(), hidden, strict=True)}

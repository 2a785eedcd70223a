"""Sufficient statistics of a response set, counted in one vectorised pass over the respondents.

Respondents are first sorted into cells: one cell per combination of answers to the breakdown
questions (a respondent who left one blank is in its "residual" category). Every statistic the
result tables need is a sum over respondents, so it is counted once per cell with
`numpy.bincount` (no Python loop over respondents), then summed over cells for each grouping:
all cells for the overall figures, the cells of one category for a breakdown. Counts stay
integers (int64), so sums of squares and variances are exact.

Per cell and grouping:
- `item_counts[g, i, c]`: respondents in group g whose answer to item i has code c (0-7);
- `unit_respondents[g, u]`: respondents with at least one substantive answer among the items of
  unit u (a key factor, a construct, or the overall index);
- for Cronbach's alpha of each factor and construct: over the respondents with a substantive
  answer to every one of its items, their number and the sums of values, squared values, totals
  and squared totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis import coding
from analysis.frames import ResponseSet, breakdown_questions

INDEX = "integrity_index"
#: Above this many possible cells (times the respondents), cells are numbered by sorting.
_DENSE_CELLS_PER_RESPONDENT = 4


@dataclass(frozen=True)
class Unit:
    """A key factor, a construct or the overall index: an id and the columns of its items."""

    id: str
    kind: str  # "factor" | "construct" | "index"
    items: np.ndarray  # column positions in `answers`


@dataclass(frozen=True)
class Grouping:
    """The groups of one breakdown: its categories, then the residual (did not answer)."""

    var: str | None  # None: everyone in one group (the overall figures)
    values: tuple[str, ...]  # published categories; index len(values) is the residual

    @property
    def size(self) -> int:
        """Groups: the categories and the residual, or the one overall group."""
        return len(self.values) + 1


@dataclass(frozen=True)
class AlphaSums:
    n: np.ndarray  # (G,) respondents with a substantive answer to every item
    s1: np.ndarray  # (G, k) sums of values per item
    s2: np.ndarray  # (G, k) sums of squared values per item
    t1: np.ndarray  # (G,) sums of the respondent totals
    t2: np.ndarray  # (G,) sums of the squared respondent totals


@dataclass(frozen=True)
class Margin:
    grouping: Grouping
    item_counts: np.ndarray  # (G, k, 8)
    unit_respondents: np.ndarray  # (G, U)
    alpha: dict[str, AlphaSums]  # by unit id, for factors and constructs of >= 2 items


@dataclass(frozen=True)
class Statistics:
    item_ids: tuple[str, ...]
    units: tuple[Unit, ...]
    margins: tuple[Margin, ...]  # the overall margin first, then one per breakdown question
    # The counts per cell before they are summed into margins, for weighted figures
    # (`analysis.weighted`): each respondent's cell, each margin's group of every cell.
    cells: np.ndarray | None = None  # (respondents,)
    cell_groups: tuple[np.ndarray, ...] = ()  # per margin: (cells,)
    cell_item_counts: np.ndarray | None = None  # (cells, k, 8)
    cell_unit_respondents: np.ndarray | None = None  # (cells, U)

    @property
    def overall(self) -> Margin:
        return self.margins[0]


def units_of(response_set: ResponseSet) -> tuple[Unit, ...]:
    """The factors present in the questionnaire (in order), its constructs, the overall index."""
    items = response_set.questionnaire.scored_items
    position = {q.id: i for i, q in enumerate(items)}
    factors = sorted({q.factor for q in items})
    units = [
        Unit(str(f), "factor", np.array([i for i, q in enumerate(items) if q.factor == f]))
        for f in factors
    ]
    units += [
        Unit(c.id, "construct", np.array([position[i] for i in c.items]))
        for c in response_set.questionnaire.constructs
    ]
    units.append(Unit(INDEX, "index", np.arange(len(items))))
    return tuple(units)


def _cells(category_codes: list[np.ndarray], sizes: list[int], n: int):
    """Number the combinations of categories that occur: (cell per respondent, codes per cell)."""
    if not category_codes:
        return np.zeros(n, dtype=np.int64), np.zeros((1, 0), dtype=np.int64)
    radix = np.zeros(n, dtype=np.int64)
    for codes, size in zip(category_codes, sizes, strict=True):
        radix = radix * size + codes
    possible = int(np.prod(sizes, dtype=object))
    if possible <= _DENSE_CELLS_PER_RESPONDENT * n + 1024:
        present = np.flatnonzero(np.bincount(radix, minlength=possible))
        renumber = np.zeros(possible, dtype=np.int64)
        renumber[present] = np.arange(len(present))
        cells, keys = renumber[radix], present
    else:
        keys, cells = np.unique(radix, return_inverse=True)
    per_cell = np.empty((len(keys), len(sizes)), dtype=np.int64)
    for d in reversed(range(len(sizes))):
        keys, per_cell[:, d] = np.divmod(keys, sizes[d])
    return cells, per_cell


def _sum_by(values: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((size, *values.shape[1:]), dtype=values.dtype)
    np.add.at(out, groups, values)
    return out


def _counts(cells: np.ndarray, n_cells: int, column: np.ndarray, width: int) -> np.ndarray:
    """(cells, width) counts of the small non-negative integers in `column`, per cell."""
    return np.bincount(cells * width + column, minlength=n_cells * width).reshape(n_cells, width)


def compute_statistics(response_set: ResponseSet) -> Statistics:
    answers = response_set.answers
    codes = np.asfortranarray(answers.to_numpy(dtype=np.int8))
    n, k = codes.shape
    questions = breakdown_questions(response_set.questionnaire)
    groupings = [Grouping(None, ())]
    category_codes, sizes = [], []
    for question in questions:
        column = response_set.respondents[question.id]
        values = tuple(str(c) for c in column.cat.categories)
        raw = column.cat.codes.to_numpy().astype(np.int64)
        category_codes.append(np.where(raw < 0, len(values), raw))
        sizes.append(len(values) + 1)
        groupings.append(Grouping(question.id, values))
    cells, cell_categories = _cells(category_codes, sizes, n)
    n_cells = len(cell_categories)

    item_counts = np.stack(
        [_counts(cells, n_cells, codes[:, i], coding.N_CODES) for i in range(k)], axis=1
    ) if k else np.zeros((n_cells, 0, coding.N_CODES), dtype=np.int64)  # fmt: skip
    # Substantive answers are the codes 1-5: code - 1 (wrapping 0 round to 255) is below 5.
    valid = np.subtract(codes.view(np.uint8), np.uint8(1)) < 5
    units = units_of(response_set)
    unit_respondents = np.zeros((n_cells, len(units)), dtype=np.int64)
    alpha_cells: dict[str, tuple] = {}
    for u, unit in enumerate(units):
        unit_valid = valid[:, unit.items]
        unit_respondents[:, u] = np.bincount(cells[unit_valid.any(axis=1)], minlength=n_cells)
        if unit.kind != "index" and len(unit.items) >= 2:
            alpha_cells[unit.id] = _alpha_cells(codes, unit, unit_valid.all(axis=1), cells, n_cells)

    margins, cell_groups = [], []
    for d, grouping in enumerate(groupings):
        groups = np.zeros(n_cells, dtype=np.int64) if d == 0 else cell_categories[:, d - 1]
        cell_groups.append(groups)
        size = grouping.size

        def total(values: np.ndarray, groups=groups, size=size) -> np.ndarray:
            return _sum_by(values, groups, size)

        margins.append(
            Margin(
                grouping=grouping,
                item_counts=total(item_counts),
                unit_respondents=total(unit_respondents),
                alpha={uid: AlphaSums(*map(total, sums)) for uid, sums in alpha_cells.items()},
            )
        )
    return Statistics(tuple(answers.columns), units, tuple(margins), cells, tuple(cell_groups),
                      item_counts, unit_respondents)  # fmt: skip


def _alpha_cells(codes: np.ndarray, unit: Unit, complete: np.ndarray, cells, n_cells: int):
    """Per cell: listwise respondents, and sums of values, squares, totals, squared totals.

    Respondents who are not listwise complete get code 0 in every item, which adds nothing to
    the sums; their total is 0, while a complete respondent's is at least k >= 2.
    """
    values = np.arange(coding.N_CODES, dtype=np.int64)
    columns = [codes[:, i] * complete for i in unit.items]
    per_item = [_counts(cells, n_cells, c, coding.N_CODES) for c in columns]
    s1 = np.stack([c @ values for c in per_item], axis=1)
    s2 = np.stack([c @ values**2 for c in per_item], axis=1)
    totals = np.sum(columns, axis=0, dtype=np.int16)
    width = 5 * len(unit.items) + 1
    per_total = _counts(cells, n_cells, totals, width)
    t = np.arange(width, dtype=np.int64)
    return per_total[:, 1:].sum(axis=1), s1, s2, per_total @ t, per_total @ t**2

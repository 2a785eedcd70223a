"""The dashboard's percentages and precision: rates to a tenth of a point, the margin of error
the completed responses give (95%, worst case p = 0.5, with the finite population correction
when the target population is known) and how many completed responses a target margin needs."""

from __future__ import annotations

import math

Z_95 = 1.959964


def rate(part: int | None, whole: int | None) -> float | None:
    """`part` as a percentage of `whole`, to a tenth of a point (None: no part, or no whole)."""
    if part is None or not whole:
        return None
    return round(100 * part / whole, 1)


def margin_of_error(completed: int, population: int | None) -> float | None:
    """Half-width (percentage points) of the 95% interval of a proportion, worst case p = 0.5."""
    if completed <= 0:
        return None
    if population is not None and completed >= population:
        return 0.0
    margin = Z_95 * math.sqrt(0.25 / completed)
    if population is not None and population > 1:
        margin *= math.sqrt((population - completed) / (population - 1))
    return 100 * margin


def responses_needed(target_margin: float, population: int | None) -> int:
    """Completed responses that bring the margin of error down to `target_margin` points."""
    n0 = Z_95**2 * 0.25 / (target_margin / 100) ** 2
    if population is None:
        return math.ceil(n0)
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))

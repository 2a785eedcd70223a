"""95% intervals of SCORING.md: Wilson for a proportion, Newcombe's hybrid score (method 10)
for a difference of two independent proportions. Vectorised over numpy arrays.

Proportions are given as p (0-1) with their n; p * n need not be a whole number (a factor's
pct_favourable is a mean of its items' percentages, entered with n = n_respondents). Where n is 0
the interval is NaN.
"""

from __future__ import annotations

import numpy as np

Z = 1.959964  # SCORING.md: z for a 95% interval


def wilson(p, n, z: float = Z) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (without continuity correction) for a proportion p out of n."""
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z2n = z * z / n
        centre = (p + z2n / 2) / (1 + z2n)
        half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n + z2n / (4 * n))
        low, high = centre - half, centre + half
    empty = ~(n > 0)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def newcombe(p1, n1, p2, n2, z: float = Z) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p1 - p2 and its hybrid score interval (Newcombe 1998, method 10)."""
    p1, p2 = np.asarray(p1, dtype=float), np.asarray(p2, dtype=float)
    l1, u1 = wilson(p1, n1, z)
    l2, u2 = wilson(p2, n2, z)
    difference = p1 - p2
    low = difference - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return difference, low, high

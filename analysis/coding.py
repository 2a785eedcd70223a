"""Answer codes of SCORING.md as small integers, and reverse coding.

Every scored answer is held as one int8: 0 for a blank cell (not asked, not reached, skipped),
1-5 for the agreement scale after reverse coding, 6 for "Don't know" and 7 for "Prefer not to
answer". Eight codes per item let one `numpy.bincount` count a whole column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.questionnaire import AGREEMENT_CODES, AGREEMENT_SCALE, DONT_KNOW, PREFER_NOT_TO_ANSWER

BLANK = 0
DK = 6
PNA = 7
N_CODES = 8
VALID = np.arange(1, 6)
#: Points on the 0-100 scale of each code: (v - 1) * 25 for the five substantive answers.
POINTS = np.array([0, 0, 25, 50, 75, 100, 0, 0], dtype=np.int64)

# Position in AGREEMENT_CODES ("1".."5", "DK", "PNA") -> int8 code; -1 (blank) -> 0.
_FROM_POSITION = np.array([1, 2, 3, 4, 5, DK, PNA, BLANK], dtype=np.int8)
_REVERSED = np.array([BLANK, 5, 4, 3, 2, 1, DK, PNA], dtype=np.int8)
_TO_TEXT = np.array(["", *AGREEMENT_SCALE, DONT_KNOW, PREFER_NOT_TO_ANSWER], dtype=object)

_CODES = pd.Index(AGREEMENT_CODES)

assert tuple(AGREEMENT_CODES) == (*AGREEMENT_SCALE, DONT_KNOW, PREFER_NOT_TO_ANSWER)


def encode(values: pd.Series | np.ndarray, reverse: bool = False) -> np.ndarray:
    """Answer strings ("1"-"5", "DK", "PNA", "" or missing) -> int8 codes, reversed if asked.

    Anything else becomes 0 (blank): validation happens before, in `analysis.validation`.
    """
    positions = _CODES.get_indexer(np.asarray(values, dtype=object))
    codes = _FROM_POSITION[positions]
    return _REVERSED[codes] if reverse else codes


def decode(codes: np.ndarray, reverse: bool = False) -> np.ndarray:
    """int8 codes -> the answer strings of the interchange format (undoing reverse coding)."""
    codes = np.asarray(codes, dtype=np.int8)
    return _TO_TEXT[_REVERSED[codes] if reverse else codes]


def values(codes: np.ndarray) -> np.ndarray:
    """int8 codes -> the substantive value 1-5 as float, NaN for blank, DK and PNA."""
    table = np.array([np.nan, 1, 2, 3, 4, 5, np.nan, np.nan])
    return table[np.asarray(codes, dtype=np.int8)]

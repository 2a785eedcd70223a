"""Data quality: straight-lining, the same answer given to every statement of key factors.

A respondent *straight-lined* a key factor when they answered at least `MIN_ANSWERS` of its
statements and every one of those answers is the same point of the agreement scale, as answered
(before reverse coding: pressing "Agree" on a statement and on its negatively worded opposite is
the pattern this looks for). A Don't know or Prefer not to answer among them is a different
answer, so it breaks the line; blank items (not asked, not reached) do not count.

A respondent is *judged* on the key factors where they gave `MIN_ANSWERS` answers, and judged at
all when there are at least `MIN_FACTORS` of them. A judged respondent is flagged
(`straightliner` true) when they straight-lined every factor they are judged on, else not
(false); one not judged is left blank (too few answers to tell). Within one factor the same
answer throughout is what an attentive respondent with a firm view gives too (the statements of
a factor are meant to agree: on made-up attentive respondents, `analysis.synthetic`, one factor
alone would flag a quarter of them); the same line kept through factor after factor is not.

The flag is computed from the answers of the release alone (sealed responses keep no time, so
nothing else could be used): it tells nothing the respondent-level file does not already hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import coding
from analysis.frames import Dataset, ResponseSet
from analysis.suppression import DEFAULT_MIN_CELL
from survey.questionnaire import Questionnaire

#: Answers to a key factor needed before its answers can be called straight-lined. Four: the
#: factors of the CIPS questionnaires have 2 to 6 statements, and two or three identical
#: answers are too common among attentive respondents to mean anything.
MIN_ANSWERS = 4
#: Key factors with `MIN_ANSWERS` answers needed to judge a respondent at all.
MIN_FACTORS = 2
COLUMN = "straightliner"  # the respondent-level files' column: true, false or blank
QUALITY_COLUMNS = ["administration", "wave", "survey", "respondents", "judged", "straightliners",
                   "excluded", "suppressed"]  # fmt: skip


def flag_codes(
    codes: np.ndarray, factors: np.ndarray, min_answers: int = MIN_ANSWERS
) -> tuple[np.ndarray, np.ndarray]:
    """(judged, flagged) per row of `codes`: answers as given (0 blank, 1-5, 6 DK, 7 PNA;
    no reverse coding), one column per scored item, whose key factors are `factors`."""
    if min_answers < 2:
        raise ValueError("straight-lining needs at least 2 answers to compare")
    codes = np.asarray(codes, dtype=np.int8).reshape(len(codes), len(factors))
    judged_on = np.zeros(len(codes), dtype=np.int64)
    lined = np.zeros(len(codes), dtype=np.int64)
    for factor in np.unique(factors):
        block = codes[:, factors == factor]
        answered = block != coding.BLANK
        enough = answered.sum(axis=1) >= min_answers
        lowest = np.where(answered, block, 99).min(axis=1, initial=99)
        highest = np.where(answered, block, -1).max(axis=1, initial=-1)
        same = (lowest == highest) & (lowest >= 1) & (lowest <= 5)
        judged_on += enough
        lined += enough & same
    judged = judged_on >= MIN_FACTORS
    return judged, judged & (lined == judged_on)


def _factors(questionnaire: Questionnaire) -> np.ndarray:
    return np.array([q.factor for q in questionnaire.scored_items], dtype=int)


def response_set_flags(response_set: ResponseSet, min_answers: int = MIN_ANSWERS) -> pd.Series:
    """True, False or NA (not judged) per respondent of `response_set` (its index)."""
    items = response_set.questionnaire.scored_items
    codes = response_set.answers.to_numpy(dtype=np.int8)
    reverse = np.array([q.reverse for q in items], dtype=bool)
    scale = (codes >= 1) & (codes <= 5)
    as_given = np.where(reverse & scale, 6 - codes, codes)  # undo reverse coding
    judged, flagged = flag_codes(as_given, _factors(response_set.questionnaire), min_answers)
    values = pd.array(np.where(judged, flagged, False), dtype="boolean")
    values[~judged] = pd.NA
    return pd.Series(values, index=response_set.answers.index, name=COLUMN)


def frame_flags(
    frame: pd.DataFrame, questionnaire: Questionnaire, min_answers: int = MIN_ANSWERS
) -> pd.Series:
    """The `straightliner` cells ("true", "false", "") of an interchange frame of codes."""
    items = questionnaire.scored_items
    codes = np.column_stack(
        [
            coding.encode(frame[q.id].fillna("").astype(str).to_numpy(dtype=object))
            if q.id in frame.columns
            else np.zeros(len(frame), dtype=np.int8)
            for q in items
        ]
        or [np.zeros((len(frame), 0), dtype=np.int8)]
    )
    judged, flagged = flag_codes(codes, _factors(questionnaire), min_answers)
    cells = np.where(judged, np.where(flagged, "true", "false"), "")
    return pd.Series(cells.astype(object), index=frame.index, name=COLUMN)


def without_straightliners(data: Dataset, min_answers: int = MIN_ANSWERS) -> Dataset:
    """`data` without its flagged respondents (those not judged stay)."""
    kept = []
    for response_set in data:
        flagged = response_set_flags(response_set, min_answers).fillna(False)
        kept.append(response_set.subset(~flagged.to_numpy(dtype=bool)))
    return Dataset(kept)


def quality_table(
    data: Dataset,
    *,
    excluded: bool = False,
    min_cell: int = DEFAULT_MIN_CELL,
    min_answers: int = MIN_ANSWERS,
) -> pd.DataFrame:
    """The `quality` table: per administration, wave and survey, the respondents, those with
    enough answers to be judged, the straight-liners among them, and whether the other tables
    left them out. Counts of the whole set, never broken down; with fewer than `min_cell`
    respondents the two counts are left empty (suppressed), as any other figure would be."""
    rows = []
    for response_set in data:
        flags = response_set_flags(response_set, min_answers)
        hidden = len(response_set) < min_cell
        rows.append(
            {
                "administration": response_set.administration,
                "wave": response_set.wave,
                "survey": response_set.survey,
                "respondents": len(response_set),
                "judged": None if hidden else int(flags.notna().sum()),
                "straightliners": None if hidden else int(flags.fillna(False).sum()),
                "excluded": excluded,
                "suppressed": hidden,
            }
        )
    table = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    return table.astype({"respondents": "int64", "judged": "Int64", "straightliners": "Int64",
                         "excluded": bool, "suppressed": bool})  # fmt: skip

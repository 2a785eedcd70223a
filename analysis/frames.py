"""The tidy frames every analysis starts from, whatever the source (database or interchange file).

A `ResponseSet` holds the responses to one questionnaire in one wave of one administration:

- `respondents`: one row per respondent (index `respondent_id`): `language`, `completed`, then
  one column per demographic question (single-choice questions as a `Categorical` over the choice
  codes in questionnaire order; a respondent who did not answer holds NaN).
- `answers`: the same rows, one int8 column per scored item, coded as in `analysis.coding`
  (0 blank, 1-5 after reverse coding, 6 DK, 7 PNA).
- `other`: the remaining questions (behaviour items, numbers, free text if loaded) as strings.

A `Dataset` is the set of response sets an analysis looks at (several administrations, waves and
surveys), which is what gaps and trends compare.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from analysis import coding, labels
from survey.i18n import SOURCE_LANGUAGE, Text, render
from survey.questionnaire import Question, Questionnaire, QuestionType

FIXED_COLUMNS = (
    "respondent_id",
    "questionnaire",
    "survey",
    "administration",
    "wave",
    "language",
    "completed",
)


class AnalysisError(ValueError):
    """Data that cannot be analysed as asked; `text` says why, in any language (`str()` of the
    error is the English message)."""

    def __init__(self, text: Text):
        self.text = text
        super().__init__(render(text, SOURCE_LANGUAGE))


def breakdown_questions(questionnaire: Questionnaire) -> tuple[Question, ...]:
    """The demographic questions results are broken down by: the single-choice ones."""
    return tuple(q for q in questionnaire.demographics if q.type is QuestionType.SINGLE_CHOICE)


@dataclass(eq=False)
class ResponseSet:
    questionnaire: Questionnaire
    administration: str
    wave: str
    respondents: pd.DataFrame
    answers: pd.DataFrame
    other: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Raking weights, one per respondent (`analysis.weights`), when the wave's margins are set.
    weights: pd.Series | None = None

    @property
    def survey(self) -> str:
        return str(self.questionnaire.survey)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.administration, self.wave, self.survey)

    def __len__(self) -> int:
        return len(self.respondents)

    @cached_property
    def statistics(self):
        """The sufficient statistics of every table (computed once, see `analysis.statistics`)."""
        from analysis.statistics import compute_statistics

        return compute_statistics(self)

    def completed(self) -> ResponseSet:
        """Only the respondents who finished."""
        return self.subset(self.respondents["completed"].to_numpy(dtype=bool))

    def subset(self, keep: np.ndarray) -> ResponseSet:
        """Only the respondents where `keep` (a boolean array, one per row) is true."""
        return ResponseSet(
            questionnaire=self.questionnaire,
            administration=self.administration,
            wave=self.wave,
            respondents=self.respondents[keep],
            answers=self.answers[keep],
            other=self.other[keep] if len(self.other.columns) else self.other,
            weights=None if self.weights is None else self.weights[keep],
        )

    def values(self) -> pd.DataFrame:
        """The scored items as floats 1-5 after reverse coding; NaN for blank, DK and PNA."""
        return pd.DataFrame(
            coding.values(self.answers.to_numpy()),
            index=self.answers.index,
            columns=self.answers.columns,
        )

    def tidy(self) -> pd.DataFrame:
        """One row per answered scored item: respondent, item, factor, code, value, score.

        `code` is the interchange code as answered (before reverse coding); `value` is 1-5 after
        reverse coding (NaN for DK and PNA) and `score` is (value - 1) * 25.
        """
        codes = self.answers.to_numpy()
        rows, cols = np.nonzero(codes)
        items = self.questionnaire.scored_items
        item_ids = pd.Categorical.from_codes(cols, [q.id for q in items])
        reverse = np.array([q.reverse for q in items])
        answered = codes[rows, cols]
        value = coding.values(answered)
        code = np.where(
            reverse[cols], coding.decode(answered, reverse=True), coding.decode(answered)
        )
        return pd.DataFrame(
            {
                "respondent_id": self.answers.index.to_numpy()[rows],
                "item_id": item_ids,
                "factor": np.array([q.factor for q in items])[cols],
                "code": pd.Categorical(code, categories=["1", "2", "3", "4", "5", "DK", "PNA"]),
                "value": value,
                "score": (value - 1) * 25,
            }
        )


def build_response_set(
    questionnaire: Questionnaire, administration: str, wave: str, frame: pd.DataFrame
) -> ResponseSet:
    """A response set from a wide frame of strings: `respondent_id`, `language`, `completed`
    (bool) and one column per question id ("" or missing for a blank cell).

    The frame is taken as valid (see `analysis.validation`); a question without a column is
    blank for everyone.
    """
    index = pd.Index(frame["respondent_id"].astype(str).to_numpy(), name="respondent_id")
    n = len(frame)

    def column(question_id: str) -> np.ndarray:
        if question_id in frame.columns:
            return frame[question_id].fillna("").astype(str).to_numpy(dtype=object)
        return np.full(n, "", dtype=object)

    respondents = {
        "language": pd.Categorical(frame["language"].astype(str).to_numpy()),
        "completed": frame["completed"].astype(bool).to_numpy(),
    }
    for question in questionnaire.demographics:
        respondents[question.id] = _typed(question, column(question.id))
    scored = questionnaire.scored_items
    answers = {q.id: coding.encode(column(q.id), reverse=q.reverse) for q in scored}
    scored_ids = {q.id for q in scored}
    other = {
        q.id: _typed(q, column(q.id))
        for q in questionnaire.items
        if q.id not in scored_ids and q.id in frame.columns
    }
    return ResponseSet(
        questionnaire=questionnaire,
        administration=administration,
        wave=wave,
        respondents=pd.DataFrame(respondents, index=index),
        answers=pd.DataFrame(answers, index=index, columns=[q.id for q in scored]).astype(np.int8),
        other=pd.DataFrame(other, index=index),
    )


def _typed(question: Question, cells: np.ndarray):
    if question.type is QuestionType.SINGLE_CHOICE:
        categories = pd.Index([c.code for c in question.choices])
        return pd.Categorical.from_codes(categories.get_indexer(cells), categories)
    if question.type is QuestionType.NUMBER:
        return pd.to_numeric(pd.Series(cells).replace("", np.nan)).to_numpy(dtype=float)
    return cells


def _merge(first: ResponseSet, second: ResponseSet) -> ResponseSet:
    if first.questionnaire.id != second.questionnaire.id:
        administration, wave, survey = first.key
        name = Text(labels.SURVEYS[survey]) if survey in labels.SURVEYS else survey
        args = {"administration": administration, "wave": wave, "survey": name,
                "first": first.questionnaire.id, "second": second.questionnaire.id}  # fmt: skip
        raise AnalysisError(Text(labels.TWO_QUESTIONNAIRES, args))
    respondents = pd.concat([first.respondents, second.respondents])
    respondents["language"] = respondents["language"].astype("category")
    return ResponseSet(
        questionnaire=first.questionnaire,
        administration=first.administration,
        wave=first.wave,
        respondents=respondents,
        answers=pd.concat([first.answers, second.answers]),
        other=pd.concat([first.other, second.other]),
        weights=None
        if first.weights is None or second.weights is None
        else pd.concat([first.weights, second.weights]),
    )


_WAVE_PARTS = re.compile(r"(\d+)")


def wave_order(label: str) -> tuple:
    """Sort key for wave labels: numbers compare as numbers ('2026-2' before '2026-10')."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in _WAVE_PARTS.split(label)
        if part
    )


class Dataset:
    """The response sets an analysis looks at, at most one per (administration, wave, survey)."""

    def __init__(self, sets: Iterable[ResponseSet] = ()):
        self._sets: dict[tuple[str, str, str], ResponseSet] = {}
        for response_set in sets:
            self.add(response_set)

    def add(self, response_set: ResponseSet) -> None:
        """Add a response set; one for the same wave and questionnaire is merged into it."""
        key = response_set.key
        if key in self._sets:
            self._sets[key] = _merge(self._sets[key], response_set)
        else:
            self._sets[key] = response_set

    def __iter__(self) -> Iterator[ResponseSet]:
        return iter(
            sorted(
                self._sets.values(),
                key=lambda s: (s.administration, wave_order(s.wave), s.survey),
            )
        )

    def __len__(self) -> int:
        return len(self._sets)

    def get(self, administration: str, wave: str, survey: str) -> ResponseSet | None:
        return self._sets.get((administration, wave, survey))

    def waves(self, administration: str, survey: str) -> list[str]:
        """The waves of one administration's survey, earliest first."""
        found = {s.wave for s in self._sets.values() if s.key[0::2] == (administration, survey)}
        return sorted(found, key=wave_order)

    def select(self, administration: str | None = None, completed_only: bool = False) -> Dataset:
        """A dataset of one administration's waves, and/or of finished responses only."""
        return Dataset(
            s.completed() if completed_only else s
            for s in self
            if administration is None or s.administration == administration
        )

    def administrations(self) -> list[str]:
        return sorted({s.administration for s in self._sets.values()})

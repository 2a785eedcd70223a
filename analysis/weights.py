"""Raking weights: post-stratification of a campaign's completed responses to the population
margins its coordinator enters (issue 20, item 4), by iterative proportional fitting.

The rules (README, "Weights"; numpy and pandas only):
- Margins are, per raking question (a single-choice demographic question), the population of
  each of its categories. Every question's populations sum to the same total; every category
  with a population > 0, and every category that holds completed responses, holds at least k
  of them (so that weighted and unweighted figures side by side cannot reveal a group that the
  unweighted breakdown suppresses). `pna` / `dk` choices and blanks are not population
  categories.
- The weights are fitted on the completed responses only. A respondent who left a raking
  question blank, or chose Prefer not to answer / Don't know there, is *excluded from that
  question*: its margin is met by the respondents who gave a category (their weighted total is
  shared out in the population's proportions), and the others' weight is not changed at that
  step. They are still adjusted on the other raking questions.
- Raking multiplies, for each question in turn, the weights of a category by target share /
  weighted share until every weighted share is within 1e-12 of its target (at most 1,000
  sweeps). A weight is therefore a product of one factor per raking question (1 for the
  excluded), a function of the respondent's categories: a respondent who did not complete gets
  the weight of its categories too, so that weighted tables count the same people as unweighted
  ones and are suppressed on the same (unweighted) counts.
- Weights are scaled to average 1 over the completed responses (their sum is the number of
  completed responses), as SPSS and Stata expect of an analysis weight.
- Kish's effective sample size, (sum w)^2 / sum w^2, replaces n in the intervals of weighted
  proportions.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.frames import AnalysisError, ResponseSet, breakdown_questions
from survey.factors import N_
from survey.i18n import SOURCE_LANGUAGE, Number, Text, render
from survey.questionnaire import Questionnaire

#: Choice codes that are no population category (Don't know, Prefer not to answer).
NOT_CATEGORIES = frozenset({"dk", "pna"})
TOLERANCE = 1e-12
MAX_SWEEPS = 1000
COLUMNS = ("question", "value", "population")

BAD_HEADER = N_("The margins file needs the columns question, value, population (found: {found}).")
BAD_POPULATION = N_(
    "Row {row}: the population of {question} = {value} must be a number of 0 or more "
    "(found: {found})."
)
DUPLICATE_ROW = N_("Row {row}: {question} = {value} is given twice.")
NO_MARGINS = N_("The margins file holds no rows.")
NOT_A_QUESTION = N_(
    "{question} is not a single-choice demographic question of the questionnaire {questionnaire}."
)
NOT_A_CATEGORY = N_("{value} is not a category of {question} (its categories: {categories}).")
TOTALS_DIFFER = N_(
    "Every question's populations must sum to the same total: {question} sums to {total}, "
    "{first} to {first_total}."
)
ZERO_TOTAL = N_("The populations of {question} sum to 0.")
TOO_FEW = N_(
    "{question} = {value} holds fewer than {k} completed responses: weighting on it would let "
    "weighted and unweighted figures reveal a group too small to publish. Merge it with another "
    "category or leave {question} out of the margins."
)
NO_POPULATION = N_(
    "{question} = {value} holds completed responses but has no population in the margins."
)
NOT_CONVERGED = N_(
    "The weights of {survey} wave {wave} do not converge to the margins after {sweeps} sweeps."
)


class MarginsError(ValueError):
    """Margins that cannot be used; `problems` says each reason, in any language."""

    def __init__(self, problems: list[Text]):
        self.problems = problems
        super().__init__("\n".join(render(p, SOURCE_LANGUAGE) for p in problems))


@dataclass(frozen=True)
class Margins:
    """Population per category of each raking question: {question: {value: population}}."""

    populations: dict[str, dict[str, float]]

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): what is stored, and digested into the release version."""
        return json.dumps(self.populations, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Margins:
        loaded = json.loads(text)
        return cls({q: {v: float(p) for v, p in values.items()} for q, values in loaded.items()})

    def rows(self) -> list[tuple[str, str, float]]:
        """(question, value, population) rows, as in the CSV file."""
        return [(q, v, p) for q, values in self.populations.items() for v, p in values.items()]

    def total(self, question: str) -> float:
        return math.fsum(self.populations[question].values())


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "")) if text.strip() else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and value >= 0 else None


def parse_csv(text: str) -> Margins:
    """Margins from CSV text with the columns question, value, population (any order, a
    header row first). Raises `MarginsError` naming each bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if not set(COLUMNS) <= set(header):
        raise MarginsError([Text(BAD_HEADER, {"found": ", ".join(header) or "-"})])
    reader.fieldnames = header
    populations: dict[str, dict[str, float]] = {}
    problems = []
    for row, record in enumerate(reader, start=2):
        question = (record.get("question") or "").strip()
        value = (record.get("value") or "").strip()
        if not question and not value and not (record.get("population") or "").strip():
            continue  # a blank line
        found = (record.get("population") or "").strip()
        population = _number(found)
        where = {"row": row, "question": question, "value": value}
        if population is None:
            problems.append(Text(BAD_POPULATION, {**where, "found": found or "-"}))
        elif value in populations.get(question, {}):
            problems.append(Text(DUPLICATE_ROW, where))
        else:
            populations.setdefault(question, {})[value] = population
    if problems:
        raise MarginsError(problems)
    if not populations:
        raise MarginsError([Text(NO_MARGINS)])
    return Margins(populations)


def check(margins: Margins, response_set: ResponseSet, k: int) -> None:
    """Raise `MarginsError` unless `margins` fit the questionnaire of `response_set` and its
    completed responses (the rules of the module docstring); `k` is the small-cell threshold."""
    questionnaire = response_set.questionnaire
    unknown = _against_questionnaire(margins, questionnaire)
    # The totals need no questionnaire: said beside unknown categories, so one run gives every
    # reason (the counts below need known questions and categories).
    problems = unknown + _totals(margins)
    if unknown:
        raise MarginsError(problems)
    completed = response_set.completed().respondents
    for question, populations in margins.populations.items():
        counts = completed[question].value_counts()
        for value in [v for v in completed[question].cat.categories if v not in NOT_CATEGORIES]:
            held = int(counts.get(value, 0))
            where = {"question": question, "value": value}
            if held and populations.get(value, 0) == 0:
                problems.append(Text(NO_POPULATION, where))
            elif (held or populations.get(value, 0) > 0) and held < k:
                problems.append(Text(TOO_FEW, {**where, "k": k}))
    if problems:
        raise MarginsError(problems)


def _totals(margins: Margins) -> list[Text]:
    """A question whose populations sum to nothing, or to another total than the first's."""
    problems = []
    first = next(iter(margins.populations))
    for question in margins.populations:
        total = margins.total(question)
        if total <= 0:
            problems.append(Text(ZERO_TOTAL, {"question": question}))
        elif not math.isclose(total, margins.total(first), rel_tol=1e-9):
            problems.append(Text(TOTALS_DIFFER, {
                "question": question, "total": Number(total),
                "first": first, "first_total": Number(margins.total(first)),
            }))  # fmt: skip
    return problems


def _against_questionnaire(margins: Margins, questionnaire: Questionnaire) -> list[Text]:
    questions = {q.id: q for q in breakdown_questions(questionnaire)}
    problems = []
    for question, populations in margins.populations.items():
        if question not in questions:
            args = {"question": question, "questionnaire": questionnaire.id}
            problems.append(Text(NOT_A_QUESTION, args))
            continue
        codes = [c.code for c in questions[question].choices if c.code not in NOT_CATEGORIES]
        for value in populations:
            if value not in codes:
                args = {"value": value, "question": question, "categories": ", ".join(codes)}
                problems.append(Text(NOT_A_CATEGORY, args))
    return problems


@dataclass(frozen=True)
class Raking:
    """The fitted factors per question and category (1 for excluded respondents), and how many
    sweeps it took."""

    factors: dict[str, np.ndarray]  # question -> factor per category position
    sweeps: int


def rake(
    categories: dict[str, np.ndarray],
    targets: dict[str, np.ndarray],
    *,
    tolerance: float = TOLERANCE,
    max_sweeps: int = MAX_SWEEPS,
) -> Raking | None:
    """Iterative proportional fitting. `categories[q]` holds each respondent's category position
    for question q (-1: excluded from q); `targets[q]` the population share of each position
    (summing to 1). None when it does not converge."""
    n = len(next(iter(categories.values()))) if categories else 0
    weights = np.ones(n)
    factors = {q: np.ones(len(targets[q])) for q in categories}
    for sweep in range(1, max_sweeps + 1):
        for question, codes in categories.items():
            known = codes >= 0
            held = np.bincount(
                codes[known], weights=weights[known], minlength=len(targets[question])
            )
            wanted = targets[question] * held.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                step = np.where(held > 0, wanted / np.where(held > 0, held, 1), 1.0)
            factors[question] *= step
            weights[known] *= step[codes[known]]
        if _worst(categories, targets, weights) < tolerance:
            return Raking(factors, sweep)
    return None


def _worst(categories, targets, weights) -> float:
    """The largest gap between a weighted share and its target."""
    worst = 0.0
    for question, codes in categories.items():
        known = codes >= 0
        held = np.bincount(codes[known], weights=weights[known], minlength=len(targets[question]))
        worst = max(worst, float(np.max(np.abs(held / held.sum() - targets[question]))))
    return worst


def _positions(column: pd.Series, codes: list[str]) -> np.ndarray:
    """Each respondent's position among `codes` (-1: blank, dk, pna or not among them)."""
    return pd.Index(codes).get_indexer(column.astype(object).where(column.notna(), None))


def response_weights(response_set: ResponseSet, margins: Margins) -> pd.Series:
    """A weight for every respondent of `response_set` (index: respondent ids), fitted on its
    completed responses and scaled to average 1 over them. Raises `AnalysisError` when the
    raking does not converge. The margins are taken as checked (`check`)."""
    respondents = response_set.respondents
    completed = respondents["completed"].to_numpy(dtype=bool)
    codes = {q: [v for v, p in values.items() if p > 0]
             for q, values in margins.populations.items()}  # fmt: skip
    positions = {q: _positions(respondents[q], codes[q]) for q in codes}
    targets = {
        q: np.array([margins.populations[q][v] for v in codes[q]]) / margins.total(q) for q in codes
    }
    fitted = rake({q: p[completed] for q, p in positions.items()}, targets)
    if fitted is None:
        args = {"survey": response_set.survey, "wave": response_set.wave, "sweeps": MAX_SWEEPS}
        raise AnalysisError(Text(NOT_CONVERGED, args))
    weights = np.ones(len(respondents))
    for question, where in positions.items():
        factor = np.append(fitted.factors[question], 1.0)  # position -1: excluded, factor 1
        weights *= factor[where]
    if completed.any():
        weights /= weights[completed].mean()
    return pd.Series(weights, index=respondents.index, name="weight")


def kish(weights) -> float:
    """Kish's effective sample size: (sum w)^2 / sum w^2 (0 for no weights)."""
    weights = np.asarray(weights, dtype=float)
    squares = float(np.sum(weights**2))
    return float(np.sum(weights)) ** 2 / squares if squares > 0 else 0.0

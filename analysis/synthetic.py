"""Made-up waves in the interchange format, for demonstrations, tests and benchmarks.

Answers are drawn from a simple latent model so that they look like survey data: each respondent
has an overall view of integrity and a view per key factor; an item's answer is that view plus
noise, cut into the five points (reverse-coded items are answered the other way round). Some
answer "Don't know" or "Prefer not to answer", some stop part-way (blank from there on), and skip
logic is followed. Nothing here is real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.frames import FIXED_COLUMNS
from survey.questionnaire import Condition, Question, Questionnaire, QuestionType, Survey

_CUTS = np.array([-1.4, -0.5, 0.4, 1.3])


def generate_wave(
    questionnaire: Questionnaire,
    respondents: int,
    *,
    administration: str = "DEMO",
    wave: str = "2026-1",
    seed: int = 0,
    shift: float = 0.0,
    profile_seed: int = 2026,
    dont_know: float = 0.05,
    prefer_not: float = 0.02,
    incomplete: float = 0.08,
    languages: tuple[str, ...] = ("en", "fr"),
    answer_free_text: bool = False,
) -> pd.DataFrame:
    """A wave of `respondents` made-up responses (text cells, interchange columns).

    `shift` moves every view up (more favourable) or down, in standard deviations, so that two
    waves differ; `profile_seed` draws how each key factor stands with the respondents of the survey, the
    same in every wave. `answer_free_text` adds made-up answers to the free-text questions, for
    the simulated respondents of `cips demo` to type (the interchange format has no such column).
    """
    rng = np.random.default_rng(seed)
    n = respondents
    overall = rng.normal(shift, 1.0, n)
    # How each key factor stands with this survey's respondents: the same in every wave.
    profile = np.random.default_rng([profile_seed, sorted(Survey).index(questionnaire.survey)])
    factor_level = {f: profile.normal(0.0, 0.6) for f in range(1, 11)}
    factor_view = {f: rng.normal(0.0, 0.7, n) for f in range(1, 11)}
    questions = [
        q for q in questionnaire.questions if answer_free_text or q.type is not QuestionType.TEXT
    ]
    # Where a respondent stopped: after this many questions (everyone else finished).
    stops = rng.random(n) < incomplete
    reached = np.where(stops, rng.integers(1, len(questions), n), len(questions))
    cells: dict[str, np.ndarray] = {}
    for position, question in enumerate(questions):
        if question.type is QuestionType.AGREEMENT:
            view = overall + factor_level.get(question.factor, 0.0) + factor_view.get(
                question.factor, 0.0
            ) + rng.normal(0.0, 0.8, n)  # fmt: skip
            points = np.searchsorted(_CUTS, view) + 1
            if question.reverse:
                points = 6 - points
            answer = points.astype(str).astype(object)
            draw = rng.random(n)
            answer[draw < dont_know] = "DK"
            answer[(draw >= dont_know) & (draw < dont_know + prefer_not)] = "PNA"
        else:
            answer = _other_answer(question, rng, n)
        shown = np.ones(n, dtype=bool)
        for condition in question.show_if:
            shown &= _holds(condition, cells)
        answer[~shown | (position >= reached)] = ""
        cells[question.id] = answer
    fixed = {
        "respondent_id": [f"R{i + 1:07d}" for i in range(n)],
        "questionnaire": questionnaire.id,
        "survey": str(questionnaire.survey),
        "administration": administration,
        "wave": wave,
        "language": rng.choice(list(languages), n),
        "completed": np.where(stops, "false", "true"),
    }
    return pd.DataFrame({**fixed, **cells}, columns=[*FIXED_COLUMNS, *cells])


def _other_answer(question: Question, rng: np.random.Generator, n: int) -> np.ndarray:
    if question.type is QuestionType.SINGLE_CHOICE:
        codes = [c.code for c in question.choices]
        weights = rng.dirichlet(np.full(len(codes), 2.0))
        return rng.choice(np.array(codes, dtype=object), n, p=weights)
    if question.type is QuestionType.MULTIPLE_CHOICE:
        codes = np.array([c.code for c in question.choices], dtype=object)
        limit = question.max_choices or len(codes)
        picks = [rng.choice(codes, rng.integers(1, limit + 1), replace=False) for _ in range(n)]
        return np.array([";".join(sorted(p)) for p in picks], dtype=object)
    if question.type is QuestionType.NUMBER:
        values = rng.uniform(question.min, question.max, n)
        return np.array(
            [str(round(v)) if question.integer else f"{v:.1f}" for v in values], dtype=object
        )
    return np.array(["A made-up comment."] * n, dtype=object)


def _holds(condition: Condition, cells: dict[str, np.ndarray]) -> np.ndarray:
    """`Condition.holds` for every respondent at once (a blank earlier answer is missing)."""
    earlier = cells[condition.question]
    answered = earlier != ""
    if condition.in_ is not None:
        return answered & np.isin(earlier, list(condition.in_))
    if condition.not_in is not None:
        return ~answered | ~np.isin(earlier, list(condition.not_in))
    numbers = pd.to_numeric(pd.Series(earlier), errors="coerce").to_numpy()
    low = -np.inf if condition.min is None else condition.min
    high = np.inf if condition.max is None else condition.max
    return answered & (numbers >= low) & (numbers <= high)

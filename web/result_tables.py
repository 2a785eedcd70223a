"""The full tables of a wave's release as the results page shows them, in the page's language:
every statement with its figures, and every breakdown (key factors, constructs and the index by
the groups of each demographic question on the wave's page; every statement by those groups on a
page of its own per question). Shaped from the stored tables, never recomputed; a suppressed
cell of the tables (n < k, or the complement of one: `analysis.suppression`) carries no figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.frames import breakdown_questions
from analysis.labels import unit_name
from survey.engine.answers import option_label
from survey.engine.questions import question_text
from survey.i18n import render
from survey.questionnaire import Question, Questionnaire

if TYPE_CHECKING:
    from web.wave_results import WaveResults


@dataclass(frozen=True)
class Cell:
    """A published figure of one unit or statement in one group; `pct` None if nobody answered
    on the scale."""

    pct: float | None
    low: float | None
    high: float | None
    score: float | None
    n: int | None


@dataclass(frozen=True)
class ItemRow:
    """A statement of the full item table, overall; `cell` None: suppressed."""

    item_id: str
    text: str
    factor: str
    cell: Cell | None
    n_dk: int | None
    n_pna: int | None
    dk_rate: float | None
    pna_rate: float | None


@dataclass(frozen=True)
class BreakdownRow:
    """A unit (key factor, construct, index) or a statement, one cell per group (None:
    suppressed)."""

    id: str
    name: str
    text: str
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True)
class Breakdown:
    """One demographic question's breakdown of one survey."""

    survey: str
    question_id: str
    question: str
    groups: tuple[str, ...]  # the groups' labels, in the questionnaire's order
    rows: tuple[BreakdownRow, ...]


def figure(value) -> float | None:
    """A figure as the pages show it (one decimal), None when missing."""
    if value is None or value is pd.NA or pd.isna(value):
        return None
    value = float(value)
    return None if np.isnan(value) else round(value, 1)


def count(value) -> int | None:
    """A count as the pages show it, None when missing (suppressed)."""
    return None if value is None or value is pd.NA or pd.isna(value) else int(value)


def unit_order(unit: str) -> tuple:
    """Key factors by number, then constructs, then the overall index."""
    if unit.isdigit():
        return (0, int(unit), "")
    return (2, 0, "") if unit == "integrity_index" else (1, 0, unit)


def _text(questionnaire: Questionnaire, question: Question | None, language: str) -> str:
    return "" if question is None else render(question_text(questionnaire, question), language)


def item_rows(wr: WaveResults) -> dict[str, list[ItemRow]]:
    """Per survey: every scored statement, in the questionnaire's order, with its overall
    figures (% favourable with its 95% interval, score, valid answers, Don't know and Prefer
    not to answer)."""
    items = wr.results.items
    overall = items[items["group_var"] == ""]
    out: dict[str, list[ItemRow]] = {}
    for survey in wr.surveys:
        questionnaire = wr.questionnaires[survey]
        found = {r.item_id: r for r in overall[overall["survey"] == survey].itertuples()}
        rows = []
        for question in questionnaire.scored_items:
            record = found.get(question.id)
            if record is None:
                continue
            factor = unit_name(str(question.factor), questionnaire, wr.language)
            hidden = bool(record.suppressed)
            cell = None if hidden else Cell(
                pct=figure(record.pct_favourable), low=figure(record.ci_low),
                high=figure(record.ci_high), score=figure(record.score),
                n=count(record.n_valid),
            )  # fmt: skip
            rows.append(ItemRow(
                item_id=question.id, text=_text(questionnaire, question, wr.language),
                factor=factor, cell=cell,
                n_dk=None if hidden else count(record.n_dk),
                n_pna=None if hidden else count(record.n_pna),
                dk_rate=None if hidden else figure(record.dk_rate),
                pna_rate=None if hidden else figure(record.pna_rate),
            ))  # fmt: skip
        out[survey] = rows
    return out


def _groups(questionnaire: Questionnaire, question: Question, seen: set[str],
            language: str) -> list[tuple[str, str]]:  # fmt: skip
    """(code, label) of the question's groups that the table holds, in the questionnaire's
    order."""
    return [(c.code, render(option_label(questionnaire, question, c.code), language))
            for c in question.choices if c.code in seen]  # fmt: skip


def _cell(record, n: str) -> Cell | None:
    """The figures of a factor row (`n`: "n_respondents") or of an item row ("n_valid")."""
    if record is None or record.suppressed:
        return None
    return Cell(pct=figure(record.pct_favourable), low=figure(getattr(record, "ci_low", None)),
                high=figure(getattr(record, "ci_high", None)), score=figure(record.score),
                n=count(getattr(record, n)))  # fmt: skip


def factor_breakdowns(wr: WaveResults) -> list[Breakdown]:
    """Every breakdown of every survey: per demographic question, the key factors, constructs
    and the index by group."""
    factors = wr.results.factors
    grouped = factors[factors["group_var"] != ""]
    out = []
    for survey in wr.surveys:
        questionnaire = wr.questionnaires[survey]
        mine = grouped[grouped["survey"] == survey]
        for question in breakdown_questions(questionnaire):
            rows = mine[mine["group_var"] == question.id]
            if rows.empty:
                continue
            cells = {(str(r.factor), r.group_value): r for r in rows.itertuples()}
            groups = _groups(questionnaire, question, set(rows["group_value"]), wr.language)
            units = sorted({str(u) for u in rows["factor"]}, key=unit_order)
            names = dict(zip(rows["factor"].astype(str), rows["factor_name"], strict=True))
            out.append(Breakdown(
                survey=survey, question_id=question.id,
                question=_text(questionnaire, question, wr.language),
                groups=tuple(label for _, label in groups),
                rows=tuple(BreakdownRow(id=u, name=names[u], text="",
                                        cells=tuple(_cell(cells.get((u, g)), "n_respondents") for g, _ in groups))
                           for u in units),
            ))  # fmt: skip
    return out


def item_breakdown(wr: WaveResults, survey: str, question_id: str) -> Breakdown | None:
    """Every statement of `survey` by the groups of one demographic question; None if the
    release has no such breakdown."""
    questionnaire = wr.questionnaires.get(survey)
    if questionnaire is None:
        return None
    question = next((q for q in breakdown_questions(questionnaire) if q.id == question_id), None)
    items = wr.results.items
    rows = items[(items["survey"] == survey) & (items["group_var"] == question_id)]
    if question is None or rows.empty:
        return None
    cells = {(r.item_id, r.group_value): r for r in rows.itertuples()}
    groups = _groups(questionnaire, question, set(rows["group_value"]), wr.language)
    present = set(rows["item_id"])
    return Breakdown(
        survey=survey, question_id=question_id,
        question=_text(questionnaire, question, wr.language),
        groups=tuple(label for _, label in groups),
        rows=tuple(BreakdownRow(id=q.id, text=_text(questionnaire, q, wr.language),
                                name=unit_name(str(q.factor), questionnaire, wr.language),
                                cells=tuple(_cell(cells.get((q.id, g)), "n_valid") for g, _ in groups))
                   for q in questionnaire.scored_items if q.id in present),
    )  # fmt: skip

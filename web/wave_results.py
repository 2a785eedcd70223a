"""A wave's published results for the web: read from its stored release tables
(`analysis.releases`: computed once per release, never per request) and shaped into what the
results page shows.

Decoded releases and drawn charts are kept per process in small `cachetools` caches keyed by the
release's version, so they cannot be stale: a close that changes what a wave's results come
from changes the version, and the next request reads the new tables.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from cachetools import LRUCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import labels
from analysis.frames import wave_order
from analysis.intervals import wilson
from analysis.releases import Release, campaigns_of, release, version_of
from analysis.results import Results
from survey.engine.answers import option_label
from survey.engine.questions import question_text, title_text
from survey.i18n import render
from survey.questionnaire import Questionnaire
from survey.storage.models import Administration, Campaign, SealedResponse
from web import result_tables

__all__ = ["campaigns_of"]

# A campaign is released once closed: its sealed responses are then published, and never change.
RELEASED = Campaign.closed_at.is_not(None)

SURVEY_ORDER = ("officials", "private_sector", "other")
SHOWN = {"factor": 3, "item": 5, "group": 5}  # rows per level of "where the problems are"


@dataclass(frozen=True)
class WaveResults:
    """A wave's release in one language, with its questionnaires, as the page reads it."""

    administration: str
    wave: str
    language: str
    min_cell: int
    version: str
    results: Results
    questionnaires: dict[str, Questionnaire]  # survey -> the wave's questionnaire
    respondents: dict[str, int]  # survey -> respondents of the wave (everyone who started)
    completed: dict[str, int]
    # "weighted" (margins set: the default), "unweighted" (margins set, asked unweighted) or ""
    # (no margins: unweighted, the only figures).
    weighting: str = ""

    @classmethod
    def of(
        cls, published: Release, questionnaires: dict[str, Questionnaire], unweighted: bool = False
    ) -> WaveResults:
        """`published`, with its questionnaires taken from `questionnaires` (id -> loaded); its
        unweighted tables if asked and it has weighted ones."""
        weighting = "weighted" if published.unweighted is not None else ""
        results = published.results
        if unweighted and published.unweighted is not None:
            weighting, results = "unweighted", published.unweighted
        return cls(
            administration=published.administration,
            wave=published.wave,
            language=published.language,
            min_cell=published.min_cell,
            version=published.version,
            results=results,
            questionnaires={s: questionnaires[q] for s, q in published.questionnaire_ids.items()},
            respondents=published.respondents,
            completed=published.completed,
            weighting=weighting,
        )

    @property
    def figures(self) -> str | None:
        """The `figures` argument of this page's links: "unweighted", or None (the default)."""
        return "unweighted" if self.weighting == "unweighted" else None

    @property
    def surveys(self) -> list[str]:
        return [s for s in SURVEY_ORDER if s in self.questionnaires]

    def published(self, survey: str) -> bool:
        """Whether any key factor score of `survey` is shown (else: all below k, or nobody)."""
        factors = self.results.factors
        rows = factors[(factors["survey"] == survey) & (factors["group_var"] == "")]
        return bool(len(rows)) and not rows["suppressed"].astype(bool).all()

    @cached_property
    def rows(self) -> dict:
        """Everything the page's tables and charts show, shaped once per release."""
        names = {s: survey_name(s, q, self.language) for s, q in self.questionnaires.items()}
        return dict(
            names=names,
            scores=score_rows(self),
            gaps=gap_rows(self) if gap_published(self) else [],
            trends=trend_rows(self),
            problems=problem_rows(self),
            charts=available_charts(self),
            chart_titles=chart_titles(self, names),
            published={s: self.published(s) for s in self.surveys},
            items=result_tables.item_rows(self),
            breakdowns=result_tables.factor_breakdowns(self),
        )


def wave_labels(campaigns: list[Campaign]) -> list[str]:
    """The wave labels of these campaigns, earliest first."""
    return sorted({c.wave for c in campaigns}, key=wave_order)


def latest_wave(session: Session, administration: Administration, waves: list[str]) -> str | None:
    """The latest of `waves` (the administration's) with released responses, else the latest;
    None without any."""
    with_responses = set(
        session.scalars(
            select(Campaign.wave)
            .join(SealedResponse, SealedResponse.campaign_id == Campaign.id)
            .where(Campaign.administration_id == administration.id, RELEASED)
            .distinct()
        )
    )
    answered = [w for w in waves if w in with_responses]
    return (answered or waves or [None])[-1]


class _Caches:
    """An app's caches: decoded releases and drawn charts, a few at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.releases: LRUCache = LRUCache(maxsize=8)
        self.charts: LRUCache = LRUCache(maxsize=64)


def _caches(app) -> _Caches:
    return app.extensions.setdefault("cips-wave-results", _Caches())


def compute(
    app,
    session: Session,
    administration: Administration,
    wave: str,
    language: str,
    k: int,
    questionnaires: dict[str, Questionnaire],
    campaigns: list[Campaign],
    unweighted: bool = False,
) -> WaveResults:
    """The wave's results at its current release version, from `campaigns`, the
    administration's (`campaigns_of`): decoded from the stored tables once per process, computed
    and stored only if no process has yet; the unweighted tables of a weighted release if
    asked."""
    key = (administration.code, wave, language, k, version_of(session, campaigns, wave),
           unweighted)  # fmt: skip
    caches = _caches(app)
    with caches.lock:
        found = caches.releases.get(key)
    if found is not None:
        return found
    published = release(session, administration, wave, language, k, questionnaires, campaigns)
    found = WaveResults.of(published, questionnaires, unweighted)
    with caches.lock:
        caches.releases[key] = found
    return found


# What the page shows ---------------------------------------------------------------------


def survey_name(survey: str, questionnaire: Questionnaire | None, language: str) -> str:
    if survey in labels.SURVEYS:
        return labels.label(labels.SURVEYS[survey], language)
    if questionnaire is not None:
        return render(title_text(questionnaire), language)
    return survey


def score_rows(wr: WaveResults) -> list[dict]:
    """One row per key factor, construct and the overall index: per survey its % favourable
    with the 95% Wilson interval (p = % favourable, n = respondents: the charts' entry), score
    and n, or `suppressed`; None where the survey has no such unit."""
    factors = wr.results.factors
    overall = factors[factors["group_var"] == ""]
    rows: dict[str, dict] = {}
    for record in overall.itertuples(index=False):
        unit = str(record.factor)
        row = rows.setdefault(unit, {"id": unit, "name": record.factor_name, "surveys": {}})
        if record.suppressed:
            row["surveys"][record.survey] = {"suppressed": True}
            continue
        n = result_tables.count(record.n_respondents)
        pct = None if pd.isna(record.pct_favourable) else float(record.pct_favourable)
        low, high = (None, None)
        if pct is not None and n:
            low, high = (float(v) * 100 for v in wilson(pct / 100, n))
        row["surveys"][record.survey] = {
            "suppressed": False,
            "pct": result_tables.figure(pct),
            "low": result_tables.figure(low),
            "high": result_tables.figure(high),
            "score": result_tables.figure(record.score),
            "n": n,
        }
    return sorted(rows.values(), key=lambda r: result_tables.unit_order(r["id"]))


def _difference(record, left: str, right: str) -> dict:
    if record["suppressed"]:
        return {"suppressed": True}
    return {
        "suppressed": False,
        "left": result_tables.figure(record[left]),
        "right": result_tables.figure(record[right]),
        "difference": result_tables.figure(record["difference"]),
        "low": result_tables.figure(record["ci_low"]),
        "high": result_tables.figure(record["ci_high"]),
        "significant": bool(record["significant"]),
    }


def _differences(rows: pd.DataFrame, left: str, right: str) -> list[dict]:
    return [
        {"id": str(r["factor"]), "name": r["factor_name"], **_difference(r, left, right)}
        for _, r in rows.iterrows()
    ]


def gap_rows(wr: WaveResults) -> list[dict]:
    """The perception gap per key factor and construct (officials minus private sector)."""
    gaps = wr.results.gaps
    rows = gaps[gaps["item_id"] == ""]
    return _differences(rows, "officials_pct_favourable", "private_sector_pct_favourable")


def trend_rows(wr: WaveResults) -> dict[str, dict]:
    """Per survey with an earlier wave: that wave, and the change per key factor and
    construct."""
    trends = wr.results.trends
    trends = trends[trends["item_id"] == ""]
    out = {}
    for survey in wr.surveys:
        rows = trends[trends["survey"] == survey]
        if rows.empty:
            continue
        out[survey] = {
            "earlier": rows["earlier_wave"].iloc[0],
            "rows": _differences(rows, "pct_favourable", "pct_favourable_earlier"),
        }
    return out


def problem_rows(wr: WaveResults) -> dict[str, dict[str, list[dict]]]:
    """Per survey: the weakest key factors, the weakest statements (with their text) and the
    groups furthest below the overall score of a key factor (with readable labels)."""
    problems = wr.results.problems
    language = wr.language
    out = {}
    for survey in wr.surveys:
        questionnaire = wr.questionnaires[survey]
        questions = {q.id: q for q in questionnaire.questions}
        levels: dict[str, list[dict]] = {}
        for level, shown in SHOWN.items():
            rows = problems[(problems["survey"] == survey) & (problems["level"] == level)]
            levels[level] = []
            for _, r in rows.head(shown).iterrows():
                row = {"rank": int(r["rank"]), "factor": r["factor_name"], "n": result_tables.count(r["n"]),
                       "score": result_tables.figure(r["score"]), "pct": result_tables.figure(r["pct_favourable"]),
                       "below": result_tables.figure(r["below_overall"])}  # fmt: skip
                if level == "item":
                    question = questions.get(r["item_id"])
                    row["item_id"] = r["item_id"]
                    row["text"] = _text(questionnaire, question, language)
                if level == "group":
                    row["group"], row["question"] = _group(
                        questionnaire, questions.get(r["group_var"]), r["group_value"], language
                    )
                levels[level].append(row)
        out[survey] = levels
    return out


def _text(questionnaire: Questionnaire, question, language: str) -> str:
    return "" if question is None else render(question_text(questionnaire, question), language)


def _group(questionnaire: Questionnaire, question, value: str, language: str) -> tuple[str, str]:
    if question is None:
        return value, ""
    if any(choice.code == value for choice in question.choices):
        value = render(option_label(questionnaire, question, value), language)
    return value, _text(questionnaire, question, language)


# Charts ----------------------------------------------------------------------------------


def available_charts(wr: WaveResults) -> list[str]:
    """The charts that have something published to draw, in page order."""
    names = [f"factors-{s}" for s in wr.surveys if wr.published(s)]
    if gap_published(wr):
        names.append("gap")
    trends = wr.results.trends
    for survey in wr.surveys:
        rows = trends[(trends["survey"] == survey) & (trends["item_id"] == "")]
        if len(rows) and not rows["suppressed"].astype(bool).all():
            names.append(f"trend-{survey}")
    return names


def gap_published(wr: WaveResults) -> bool:
    gaps = wr.results.gaps
    rows = gaps[gaps["item_id"] == ""]
    return bool(len(rows)) and not rows["suppressed"].astype(bool).all()


def chart(app, wr: WaveResults, name: str, fmt: str) -> bytes:
    """A chart of `available_charts` as PNG or SVG bytes, drawn once per release and format."""
    caches = _caches(app)
    key = (wr.administration, wr.wave, wr.language, wr.min_cell, wr.version, wr.weighting, name,
           fmt)  # fmt: skip
    with caches.lock:
        drawn = caches.charts.get(key)
    if drawn is not None:
        return drawn
    from analysis.charts import factor_chart, gap_chart, trend_chart

    results, language, k = wr.results, wr.language, wr.min_cell
    kind, _, survey = name.partition("-")
    if kind == "factors":
        figure = factor_chart(results.factors, wr.administration, wr.wave, survey, language, k)
    elif kind == "gap":
        figure = gap_chart(results.gaps, wr.administration, wr.wave, language, k)
    else:
        figure = trend_chart(results.trends, wr.administration, survey, wr.wave, language, k)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else None
    figure.savefig(buffer, format=fmt, dpi=100, metadata=metadata)
    with caches.lock:
        caches.charts[key] = buffer.getvalue()
    return buffer.getvalue()


def chart_titles(wr: WaveResults, names: dict[str, str]) -> dict[str, str]:
    """The title of each chart (its text alternative on the page), in the page's language."""
    language, trends = wr.language, wr.results.trends
    titles = {}
    for name in available_charts(wr):
        kind, _, survey = name.partition("-")
        args = {"administration": wr.administration, "wave": wr.wave, "survey": names.get(survey)}
        if kind == "factors":
            titles[name] = labels.label(labels.CHART_FACTORS_TITLE, language, **args)
        elif kind == "gap":
            titles[name] = labels.label(labels.CHART_GAP_TITLE, language, **args)
        else:
            earlier = trends.loc[trends["survey"] == survey, "earlier_wave"].iloc[0]
            titles[name] = labels.label(labels.CHART_TREND_TITLE, language, earlier=earlier, **args)
    return titles

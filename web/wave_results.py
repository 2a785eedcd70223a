"""A wave's scored results for the web: computed with `analysis` from the stored responses,
kept in a small per-process cache keyed by the data's version, and shaped into what the results
page shows.

A wave is every campaign of one administration with that wave label, live or imported, scored
together (as `cips analyze` does). Every earlier wave of the administration is loaded too, so the
trends and the KPI columns are exactly those of `cips analyze --administration A --wave W`.

Only released campaigns count (closed: their sealed responses are published once, at close;
DESIGN.md, Anonymity 7): no figure exists for a campaign during fieldwork. The data version of
a wave is a digest of its released campaigns and their sealed responses' count; it changes only
when another campaign of the wave closes. Loaded waves, computed results and drawn charts are
kept per version (and language), in each process, a few at a time.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis import labels
from analysis.frames import Dataset, wave_order
from analysis.intervals import wilson
from analysis.results import Results
from survey.engine.answers import option_label
from survey.engine.questions import question_text, title_text
from survey.i18n import render
from survey.questionnaire import Questionnaire
from survey.storage.models import Administration, Campaign, SealedResponse

# A campaign is released once closed: its sealed responses are then published, and never change.
RELEASED = Campaign.closed_at.is_not(None)

SURVEY_ORDER = ("officials", "private_sector", "other")
SHOWN = {"factor": 3, "item": 5, "group": 5}  # rows per level of "where the problems are"


class LruCache:
    """A small thread-safe least-recently-used mapping."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass
class WaveResults:
    """The published results of one wave, in one language, at one data version."""

    administration: str
    wave: str
    language: str
    min_cell: int
    version: str
    results: Results
    questionnaires: dict[str, Questionnaire]  # survey -> the wave's questionnaire
    respondents: dict[str, int]  # survey -> respondents of the wave (everyone who started)
    completed: dict[str, int]
    charts: dict[tuple[str, str], bytes] = field(default_factory=dict)
    _rows: dict = field(default_factory=dict, repr=False)

    @property
    def surveys(self) -> list[str]:
        return [s for s in SURVEY_ORDER if s in self.questionnaires]

    def published(self, survey: str) -> bool:
        """Whether any key factor score of `survey` is shown (else: all below k, or nobody)."""
        rows = self._factor_rows(survey)
        return bool(len(rows)) and not rows["suppressed"].astype(bool).all()

    def _factor_rows(self, survey: str) -> pd.DataFrame:
        factors = self.results.factors
        return factors[(factors["survey"] == survey) & (factors["group_var"] == "")]


def campaigns_of(session: Session, administration: Administration) -> list[Campaign]:
    """The administration's campaigns, in the order they were created."""
    statement = select(Campaign).where(Campaign.administration_id == administration.id)
    return list(session.scalars(statement.order_by(Campaign.id)))


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


def wave_versions(session: Session, campaigns: list[Campaign]) -> dict[str, str]:
    """Per wave label, a digest of what is released: the closed campaigns and how many sealed
    responses each holds (a released campaign's responses never change, but a campaign of the
    wave may close later)."""
    released = [c for c in campaigns if c.closed_at is not None]
    sealed = dict(
        session.execute(
            select(SealedResponse.campaign_id, func.count())
            .where(SealedResponse.campaign_id.in_([c.id for c in released]))
            .group_by(SealedResponse.campaign_id)
        ).all()
    )
    facts: dict[str, list] = {c.wave: [] for c in campaigns}
    for campaign in released:
        facts[campaign.wave].append(
            (campaign.id, campaign.questionnaire_id, campaign.closed_at.isoformat(),
             sealed.get(campaign.id, 0))
        )  # fmt: skip
    return {
        wave: hashlib.sha256(repr(items).encode()).hexdigest()[:16] for wave, items in facts.items()
    }


def _cache(app, name: str, size: int) -> LruCache:
    return app.extensions.setdefault(f"cips-{name}", LruCache(size))


def cached(app, administration: str, wave: str, language: str, k: int, version: str):
    """The results of a version already computed in this process, or None."""
    return _cache(app, "results", 8).get((administration, wave, language, k, version))


def compute(
    app,
    session: Session,
    administration: Administration,
    wave: str,
    language: str,
    k: int,
    questionnaires: dict[str, Questionnaire],
    campaigns: list[Campaign],
) -> WaveResults:
    """The wave's results at the current data version (from the cache when unchanged), from
    `campaigns`, the administration's (`campaigns_of`). The responses of a wave are loaded
    again only when they changed, so a new answer in this wave does not reload the earlier
    ones (whose statistics stay computed too)."""
    from analysis.database import load_database
    from analysis.results import analyze

    campaigns = [c for c in campaigns if wave_order(c.wave) <= wave_order(wave)]
    versions = wave_versions(session, campaigns)
    version = hashlib.sha256(repr(sorted(versions.items())).encode()).hexdigest()[:16]
    found = cached(app, administration.code, wave, language, k, version)
    if found is not None:
        return found
    loaded = _cache(app, "response-sets", 16)
    data = Dataset()
    for label in sorted(versions, key=wave_order):
        key = (administration.code, label, versions[label])
        sets = loaded.get(key)
        if sets is None:
            sets = list(load_database(session, administration=administration.code, wave=label,
                                      questionnaires=questionnaires))  # fmt: skip
            loaded.put(key, sets)
        for response_set in sets:
            data.add(response_set)
    this_wave = [s for s in data if s.wave == wave]
    results = analyze(data, min_cell=k, language=language).for_wave(wave)
    computed = WaveResults(
        administration=administration.code,
        wave=wave,
        language=language,
        min_cell=k,
        version=version,
        results=results,
        questionnaires={s.survey: s.questionnaire for s in this_wave},
        respondents={s.survey: len(s) for s in this_wave},
        completed={s.survey: int(s.respondents["completed"].sum()) for s in this_wave},
    )
    _cache(app, "results", 8).put((administration.code, wave, language, k, version), computed)
    return computed


# What the page shows ---------------------------------------------------------------------


def page_rows(wr: WaveResults) -> dict:
    """Everything the page's tables and charts show, shaped once per computed result."""
    if not wr._rows:
        names = {s: survey_name(s, q, wr.language) for s, q in wr.questionnaires.items()}
        wr._rows.update(
            names=names,
            scores=score_rows(wr),
            gaps=gap_rows(wr) if gap_published(wr) else [],
            trends=trend_rows(wr),
            problems=problem_rows(wr),
            charts=available_charts(wr),
            chart_titles=chart_titles(wr, names),
            published={s: wr.published(s) for s in wr.surveys},
        )
    return wr._rows


def survey_name(survey: str, questionnaire: Questionnaire | None, language: str) -> str:
    if survey in labels.SURVEYS:
        return labels.label(labels.SURVEYS[survey], language)
    if questionnaire is not None:
        return render(title_text(questionnaire), language)
    return survey


def _value(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if np.isnan(value) else round(value, 1)


def _count(value) -> int | None:
    return None if value is None or value is pd.NA or pd.isna(value) else int(value)


def _unit_order(unit: str) -> tuple:
    """Key factors by number, then constructs, then the overall index."""
    if unit.isdigit():
        return (0, int(unit), "")
    return (2, 0, "") if unit == "integrity_index" else (1, 0, unit)


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
        n = _count(record.n_respondents)
        pct = None if pd.isna(record.pct_favourable) else float(record.pct_favourable)
        low, high = (None, None)
        if pct is not None and n:
            low, high = (float(v) * 100 for v in wilson(pct / 100, n))
        row["surveys"][record.survey] = {
            "suppressed": False,
            "pct": _value(pct),
            "low": _value(low),
            "high": _value(high),
            "score": _value(record.score),
            "n": n,
        }
    return sorted(rows.values(), key=lambda r: _unit_order(r["id"]))


def _difference(record, left: str, right: str) -> dict:
    if record["suppressed"]:
        return {"suppressed": True}
    return {
        "suppressed": False,
        "left": _value(record[left]),
        "right": _value(record[right]),
        "difference": _value(record["difference"]),
        "low": _value(record["ci_low"]),
        "high": _value(record["ci_high"]),
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
                row = {"rank": int(r["rank"]), "factor": r["factor_name"], "n": _count(r["n"]),
                       "score": _value(r["score"]), "pct": _value(r["pct_favourable"]),
                       "below": _value(r["below_overall"])}  # fmt: skip
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


def chart(wr: WaveResults, name: str, fmt: str) -> bytes:
    """A chart of `available_charts` as PNG or SVG bytes, drawn once per version."""
    key = (name, fmt)
    if key in wr.charts:
        return wr.charts[key]
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
    wr.charts[key] = buffer.getvalue()
    return wr.charts[key]


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

"""The payload of a release file: a wave's published aggregates, as the administration's
release holds them (small cells already suppressed with its k), and nothing finer.

Kept: per survey, the respondents and completed counts, and the overall rows (no breakdown,
`group_var` empty) of the items table (counts, score, percent favourable and unfavourable) and
of the factors table (key factors, constructs and the overall integrity index: respondents,
score, percent favourable). Never a respondent-level row, a breakdown below the administration,
free text, or an interval that could be undone into counts beyond those published. A suppressed
cell travels as `suppressed: true` with null values, as it is published.

Each item and unit carries a `definition`: a digest of what it measures (an item's id, text in
the source language, factor and reverse coding; a unit's, of its items'), so that a host
compares only what two questionnaire versions ask alike.

Version 2 says whether the figures are `weighted` (raked to the wave's population margins,
`analysis.weights`) and, when they are, carries each item's and unit's `n_effective` (Kish's
effective sample size): an interval drawn from a weighted share uses it, never the counts,
which stay the people (and which the host's k rule reads). The JSON Schema is
`schema/release-2.schema.json`; version 1 files (`release-1`, unweighted as far as they say)
are still read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from importlib import resources

import pandas as pd

from analysis.frames import wave_order
from analysis.releases import Release
from survey.questionnaire import Question, Questionnaire
from survey.storage.models import Campaign

KIND = "cips-release"
SCHEMA_VERSION = 2


def schema(name: str = f"release-{SCHEMA_VERSION}") -> dict:
    text = resources.files("analysis.benchmark").joinpath(f"schema/{name}.schema.json").read_text()
    return json.loads(text)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def item_definition(survey: str, question: Question) -> str:
    return _digest(survey, question.id, question.text, str(question.factor), str(question.reverse))


def unit_definitions(questionnaire: Questionnaire) -> dict[str, str]:
    """unit id -> digest of its items' definitions (factors, constructs, the overall index)."""
    survey = str(questionnaire.survey)
    items = {q.id: item_definition(survey, q) for q in questionnaire.scored_items}
    members: dict[str, list[str]] = {}
    for q in questionnaire.scored_items:
        members.setdefault(str(q.factor), []).append(q.id)
    for construct in questionnaire.constructs:
        members[construct.id] = list(construct.items)
    members["integrity_index"] = list(items)
    return {unit: _digest(unit, *sorted(items.get(i, i) for i in ids))
            for unit, ids in members.items()}  # fmt: skip


def _number(value) -> float | None:
    """A published figure as JSON: null when suppressed or empty; floats kept to 1e-9, which no
    comparison needs more of and which keeps the canonical bytes short."""
    if value is None or pd.isna(value):
        return None
    number = round(float(value), 9)
    return int(number) if number.is_integer() else number


def _count(value) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _kind(unit: str, questionnaire: Questionnaire) -> str:
    if unit == "integrity_index":
        return "index"
    return "factor" if unit.isdigit() else "construct"


def build_payload(
    published: Release,
    administration_name: str,
    campaigns: list[Campaign],
    questionnaires: dict[str, Questionnaire],
    exported_at: dt.datetime | None = None,
) -> dict:
    """The payload of `published` (a release in English, as `analysis.releases.release` gives
    it). `campaigns` are the administration's: the wave's are listed, and the newest close of
    the wave's and earlier ones (what the release is computed from) dates the release, so that
    a later release supersedes an earlier one at the host."""
    results = published.results
    weighted = published.weighted

    def effective(row) -> float | None:
        """A weighted row's effective n (null unweighted or suppressed)."""
        return _number(row.n_effective) if weighted and not row.suppressed else None

    closes = [c.closed_at for c in campaigns if c.closed_at is not None
              and wave_order(c.wave) <= wave_order(published.wave)]  # fmt: skip
    campaigns = [c for c in campaigns if c.wave == published.wave and c.closed_at is not None]
    surveys, items, units = [], [], []
    for survey, questionnaire_id in sorted(published.questionnaire_ids.items()):
        questionnaire = questionnaires[questionnaire_id]
        by_id = {q.id: q for q in questionnaire.scored_items}
        surveys.append({
            "survey": survey,
            "questionnaire": questionnaire_id,
            "questionnaire_version": questionnaire.version,
            "respondents": int(published.respondents.get(survey, 0)),
            "completed": int(published.completed.get(survey, 0)),
        })  # fmt: skip
        table = results.items
        rows = table[(table["survey"] == survey) & (table["group_var"] == "")]
        for row in rows.itertuples(index=False):
            suppressed = bool(row.suppressed)
            items.append({
                "survey": survey,
                "item_id": row.item_id,
                "factor": str(row.factor),
                "definition": item_definition(survey, by_id[row.item_id]),
                "n_valid": None if suppressed else _count(row.n_valid),
                "n_dk": None if suppressed else _count(row.n_dk),
                "n_pna": None if suppressed else _count(row.n_pna),
                "n_effective": effective(row),
                "score": None if suppressed else _number(row.score),
                "pct_favourable": None if suppressed else _number(row.pct_favourable),
                "pct_unfavourable": None if suppressed else _number(row.pct_unfavourable),
                "suppressed": suppressed,
            })  # fmt: skip
        definitions = unit_definitions(questionnaire)
        table = results.factors
        rows = table[(table["survey"] == survey) & (table["group_var"] == "")]
        for row in rows.itertuples(index=False):
            suppressed = bool(row.suppressed)
            unit = str(row.factor)
            units.append({
                "survey": survey,
                "unit": unit,
                "kind": _kind(unit, questionnaire),
                "name": str(row.factor_name),
                "definition": definitions.get(unit, _digest(unit)),
                "n_respondents": None if suppressed else _count(row.n_respondents),
                "n_effective": effective(row),
                "score": None if suppressed else _number(row.score),
                "pct_favourable": None if suppressed else _number(row.pct_favourable),
                "suppressed": suppressed,
            })  # fmt: skip
    return {
        "kind": KIND,
        "schema_version": SCHEMA_VERSION,
        "administration": {"code": published.administration, "name": administration_name},
        "wave": published.wave,
        "campaigns": sorted(c.code for c in campaigns),
        "release": {
            "version": published.version,
            "released_at": max(closes).isoformat(timespec="seconds") if closes else "",
        },
        "exported_at": (exported_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "k": int(published.min_cell),
        "weighted": weighted,
        "surveys": surveys,
        "items": items,
        "units": units,
    }

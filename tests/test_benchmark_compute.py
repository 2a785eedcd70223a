"""The benchmark (issue 23, item 3): from 7 made-up administrations, every published median and
quartile equals an independent computation written here (straight from the respondents'
answer codes, with a hand-written linear percentile); a region of 4 administrations and a
survey with only 4 administrations of at least k respondents are suppressed, saying why; an
item that one questionnaire version words differently is left out and listed; each
administration's rank and difference from the median; and the installation's own
administrations take part only once their admin opted in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis.benchmark.compute import compute
from analysis.benchmark.payload import build_payload
from analysis.benchmark.store import Participant
from analysis.frames import Dataset, build_response_set
from analysis.releases import Release
from analysis.results import analyze
from analysis.synthetic import generate_wave
from survey.loader import load_questionnaires

QUESTIONNAIRES = load_questionnaires()
OFFICIALS = QUESTIONNAIRES["cips-officials"]
TRADERS = QUESTIONNAIRES["cips-private-sector"]
K = 10
# code: (region, officials, traders); three administrations have too few traders (below k).
ADMINISTRATIONS = {
    "AA": ("West", 60, 30), "BB": ("West", 45, 8), "CC": ("West", 35, 25), "DD": ("West", 50, 7),
    "EE": ("East", 40, 6), "FF": ("East", 55, 40), "GG": ("East", 30, 22),
}  # fmt: skip


def frames_of(
    code: str, index: int, officials_q=OFFICIALS, wave: str = "2026", shift: float = 0.3
) -> dict[str, pd.DataFrame]:
    _region, n_officials, n_traders = ADMINISTRATIONS[code]
    return {
        "officials": generate_wave(officials_q, n_officials, administration=code, wave=wave,
                                   seed=index, shift=shift * (index - 3)),
        "private_sector": generate_wave(TRADERS, n_traders, administration=code, wave=wave,
                                        seed=100 + index, shift=-0.2 * index),
    }  # fmt: skip


def participant(
    code: str, frames: dict[str, pd.DataFrame], questionnaires, wave: str = "2026"
) -> Participant:
    data = Dataset()
    for survey, frame in frames.items():
        frame = frame.assign(completed=frame["completed"] == "true")
        data.add(build_response_set(questionnaires[survey], code, wave, frame))
    results = analyze(data, min_cell=K).for_wave(wave)
    published = Release(
        administration=code, wave=wave, version="v1", computed_at=dt.datetime.now(dt.UTC),
        results=results,
        questionnaire_ids={s: q.id for s, q in questionnaires.items()},
        respondents={s: len(f) for s, f in frames.items()},
        completed={s: int((f["completed"] == "true").sum()) for s, f in frames.items()},
    )  # fmt: skip
    campaign = SimpleNamespace(code=f"{code}-1", wave=wave, closed_at=dt.datetime.now(dt.UTC))
    catalogue = {q.id: q for q in questionnaires.values()}
    payload = build_payload(published, f"Customs {code}", [campaign], catalogue)
    return Participant(code, f"Customs {code}", ADMINISTRATIONS[code][0], wave, payload, False)


@pytest.fixture(scope="module")
def world():
    """The 7 administrations' answers and their participants; GG's officials' questionnaire
    words item tr1 differently (another version)."""
    reworded = dataclasses.replace(OFFICIALS, version="2", items=tuple(
        dataclasses.replace(q, text=q.text + " (revised)") if q.id == "tr1" else q
        for q in OFFICIALS.items))  # fmt: skip
    answers, participants = {}, []
    for index, code in enumerate(ADMINISTRATIONS):
        officials = reworded if code == "GG" else OFFICIALS
        answers[code] = frames_of(code, index, officials)
        questionnaires = {"officials": officials, "private_sector": TRADERS}
        participants.append(participant(code, answers[code], questionnaires))
    return answers, participants, compute(participants, K)


# The independent computation: from the answer codes, as SCORING.md words it.
def item_figures(frame: pd.DataFrame, question) -> tuple[int, float, float] | None:
    cells = frame[question.id].fillna("").astype(str)
    answered = cells[cells != ""]
    valid = np.array([int(c) for c in answered if c in "12345" and c], dtype=float)
    if question.reverse:
        valid = 6 - valid
    n = len(answered)
    if n < K or len(valid) == 0:
        return None
    return n, float(np.mean((valid - 1) * 25)), float(100 * np.mean(valid >= 4))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def distribution(bench, region: str, survey: str, level: str, unit: str, measure: str):
    table = bench.distributions
    found = table[(table.region == region) & (table.survey == survey) & (table.level == level)
                  & (table.unit == unit) & (table.measure == measure)]  # fmt: skip
    assert len(found) == 1, (region, survey, level, unit, measure)
    return found.iloc[0]


def test_every_item_median_and_quartile_equals_an_independent_computation(world):
    answers, _participants, bench = world
    checked = 0
    for question in OFFICIALS.scored_items:
        if question.id == "tr1":
            continue
        per_administration = {code: item_figures(answers[code]["officials"], question)
                              for code in ADMINISTRATIONS}  # fmt: skip
        for measure, column in (("score", 1), ("pct_favourable", 2)):
            values = [f[column] for f in per_administration.values() if f is not None]
            row = distribution(bench, "", "officials", "item", question.id, measure)
            assert row["administrations"] == len(values)
            if len(values) >= 5:
                assert not row["suppressed"]
                for q, name in ((0.25, "q1"), (0.5, "median"), (0.75, "q3")):
                    assert row[name] == pytest.approx(percentile(values, q), abs=1e-6)
                checked += 1
            else:
                assert row["suppressed"] and "5 needed" in row["reason"]
    assert checked > 40


def test_a_key_factor_median_equals_the_median_of_independent_factor_scores(world):
    """A factor's score: the mean of its items' scores over those with a valid answer, for an
    administration with at least k respondents answering one of its items."""
    answers, _participants, bench = world
    for factor in (1, 6, 10):
        items = [q for q in OFFICIALS.scored_items if q.factor == factor]
        scores = []
        for code in ADMINISTRATIONS:
            frame = answers[code]["officials"]
            cells = frame[[q.id for q in items]].fillna("").astype(str)
            if int(cells.isin(list("12345")).any(axis=1).sum()) < K:
                continue
            means = []
            for q in items:
                v = np.array([int(c) for c in cells[q.id] if c and c in "12345"], dtype=float)
                if len(v):
                    means.append(np.mean(((6 - v) if q.reverse else v) - 1) * 25)
            scores.append(float(np.mean(means)))
        row = distribution(bench, "", "officials", "factor", str(factor), "score")
        assert row["administrations"] == len(scores) == 7
        for q, name in ((0.25, "q1"), (0.5, "median"), (0.75, "q3")):
            assert row[name] == pytest.approx(percentile(scores, q), abs=1e-6)


def test_groups_of_four_administrations_are_suppressed_saying_why(world):
    _answers, _participants, bench = world
    table = bench.distributions
    west = table[(table.region == "West") & (table.survey == "officials")]  # 4 administrations
    assert len(west) and west.suppressed.all()
    assert west.reason.str.endswith("5 needed").all()
    factors = west[west.level == "factor"]
    assert set(factors.reason) == {"4 administration(s) with at least 10 respondents; 5 needed"}
    assert west[["q1", "median", "q3"]].isna().all().all()
    # Traders: only 4 administrations have 10 or more (BB, DD and EE have fewer).
    traders = table[(table.region == "") & (table.survey == "private_sector")
                    & (table.level == "factor")]  # fmt: skip
    assert traders.suppressed.all() and (traders.administrations == 4).all()
    # Officials over all 7: published.
    assert not distribution(bench, "", "officials", "factor", "1", "score")["suppressed"]


def test_an_item_worded_differently_is_left_out_and_listed(world):
    _answers, _participants, bench = world
    listed = bench.excluded
    assert {("officials", "item", "tr1"), ("officials", "factor", "3"),
            ("officials", "index", "integrity_index")} <= set(
        zip(listed.survey, listed.level, listed.unit, strict=True))  # fmt: skip
    assert "cips-officials 2: GG" in listed[listed.unit == "tr1"].reason.iloc[0]
    assert not ((bench.distributions.unit == "tr1").any() or (bench.values.unit == "tr1").any())


def test_each_administration_has_its_rank_and_difference_from_the_median(world):
    _answers, _participants, bench = world
    values = bench.values
    row = distribution(bench, "", "officials", "factor", "1", "pct_favourable")
    group = values[(values.region == "") & (values.survey == "officials")
                   & (values.level == "factor") & (values.unit == "1")
                   & (values.measure == "pct_favourable")]  # fmt: skip
    assert len(group) == 7
    for entry in group.itertuples():
        others = group.value.to_numpy()
        assert entry.rank == 1 + int((others > entry.value).sum())
        assert entry.difference == pytest.approx(entry.value - row["median"])
        assert entry.difference_low < entry.difference < entry.difference_high
    assert sorted(group["rank"]) == list(range(1, 8))


def published_numbers(value) -> list[float]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    items = value.values() if isinstance(value, dict) else value
    return [n for v in items for n in published_numbers(v)]


def test_the_published_file_holds_distributions_only(world, tmp_path):
    """Every number of the host's published file is a count, k, or a published quartile or
    median: no group's minimum or maximum, no administration's value or rank."""
    from analysis.benchmark.files import schema_problems
    from analysis.benchmark.published import published_payload

    answers, _participants, bench = world
    payload = published_payload(bench, "Regional office", "2026")
    assert schema_problems(payload) == []
    table = bench.distributions
    shown = table[~table.suppressed]
    allowed = np.array(sorted({*pd.concat([shown.q1, shown["median"], shown.q3]).astype(float),
                               *map(float, range(0, 8)), float(K)}))  # fmt: skip
    found = set(published_numbers(payload))
    assert all(np.abs(allowed - n).min() < 1e-8 for n in found)
    # A group says how many administrations, its quartiles and median: no extreme, no value.
    from analysis.benchmark.published import GROUP_FIELDS

    assert all(set(group) == set(GROUP_FIELDS) for group in payload["groups"])
    # No administration's code or name either, nor any respondent id.
    text = json.dumps(payload)
    for code in ADMINISTRATIONS:
        assert f'"{code}"' not in text and f"Customs {code}" not in text
    for frames in answers.values():
        for frame in frames.values():
            assert not any(r in text for r in frame["respondent_id"])


def test_the_role_view_downloads_hold_no_respondent_level_value(world):
    """CSV, XLSX and JSON of the benchmark role: aggregates and administrations' figures,
    never a respondent id or a row per respondent."""
    import io

    import openpyxl

    from analysis.benchmark.output import render

    answers, _participants, bench = world
    ids = [r for frames in answers.values() for f in frames.values() for r in f["respondent_id"]]
    csv_text = render(bench, "csv").decode()
    json_text = render(bench, "json").decode()
    workbook = openpyxl.load_workbook(io.BytesIO(render(bench, "xlsx")), read_only=True)
    xlsx_text = "\n".join(str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True)
                          for c in row)  # fmt: skip
    for text in (csv_text, json_text, xlsx_text):
        assert "respondent_id" not in text
        assert not any(r in text for r in ids)
    frame = pd.read_csv(io.StringIO(csv_text))
    assert {"median", "q1", "q3", "administration", "value", "rank", "difference"} <= set(frame)
    assert set(frame.administration.dropna()) == set(ADMINISTRATIONS)
    assert "tr1" in set(frame.unit) and frame[frame.unit == "tr1"].suppressed.all()


def test_across_waves_each_administration_s_change_of_position(world):
    """Item 5: an earlier wave in which the order of the administrations was reversed; each one's
    rank then, and its change, per published group."""
    from analysis.benchmark.waves import of_wave, with_changes

    _answers, _participants, bench = world
    questionnaires = {"officials": OFFICIALS, "private_sector": TRADERS}
    earlier = compute([participant(code, frames_of(code, i, wave="2025-2", shift=-0.3),
                                   questionnaires, wave="2025-2")
                       for i, code in enumerate(ADMINISTRATIONS)], K)  # fmt: skip
    changed = with_changes(bench, earlier).values
    rows = changed[(changed.region == "") & (changed.survey == "officials")
                   & (changed.level == "factor") & (changed.unit == "1")
                   & (changed.measure == "pct_favourable")]  # fmt: skip
    before = earlier.values
    before = before[(before.region == "") & (before.survey == "officials")
                    & (before.level == "factor") & (before.unit == "1")
                    & (before.measure == "pct_favourable")].set_index("administration")  # fmt: skip
    assert len(rows) == 7 and set(rows.previous_wave) == {"2025-2"}
    for row in rows.itertuples():
        then = before.loc[row.administration]
        assert row.previous_rank == then["rank"]
        assert row.rank_change == then["rank"] - row.rank
        assert row.difference_change == pytest.approx(row.difference - then["difference"])
    assert rows.rank_change.abs().sum() > 0  # the order did change
    # A wave is asked for by its label or its year.
    assert of_wave("2026-1", "2026") and of_wave("2026", "2026") and of_wave("2026-1", None)
    assert not of_wave("20261", "2026") and not of_wave("2026", "2026-1")

"""Straight-lining (issue 20, item 6): respondents who gave the same answer to every statement of
a key factor are flagged, counted in the results' notes, left out of the scores on request, and
flagged in every respondent-level file; the flag depends on the answers alone."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from analysis import Dataset, analyze, write_results
from analysis.interchange import write
from analysis.quality import frame_flags, response_set_flags
from analysis.synthetic import generate_wave
from cips.cli import context
from survey.loader import load_questionnaires
from tests.analysis_support import agreement, questionnaire, response_set
from tests.cli_support import run_cips

# Two key factors of four statements, the fourth of the first negatively worded.
TINY = questionnaire(
    [agreement("a1", 1), agreement("a2", 1), agreement("a3", 1), agreement("a4", 1, reverse=True),
     agreement("b1", 2), agreement("b2", 2), agreement("b3", 2), agreement("b4", 2)]
)  # fmt: skip
ITEMS = ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"]
REVERSE = {"a4"}
FACTOR_1, FACTOR_2 = range(4), range(4, 8)


def frame_of(rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=ITEMS)


CONSTRUCTED = {
    # respondent: (answers a1..a4, b1..b4 as pressed; the flag a reader expects)
    "same throughout": (["4"] * 8, True),
    "one line per factor, its opposite too": (["2"] * 4 + ["5"] * 4, True),
    "three answers to one factor": (["4", "4", "", "4", "4", "4", "4", "4"], None),
    "five answers of eight": (["3", "3", "3", "3", "3", "", "", ""], None),
    "one factor varies": (["4"] * 4 + ["4", "4", "4", "5"], False),
    "a don't know breaks the line": (["4", "4", "4", "DK"] + ["4"] * 4, False),
    "four don't knows": (["DK"] * 4 + ["4"] * 4, False),
}


def test_constructed_respondents_are_flagged_not_flagged_or_not_judged():
    names = list(CONSTRUCTED)
    frame = frame_of([CONSTRUCTED[n][0] for n in names])
    expected = ["true" if CONSTRUCTED[n][1] else "" if CONSTRUCTED[n][1] is None else "false"
                for n in names]  # fmt: skip
    assert dict(zip(names, frame_flags(frame, TINY), strict=True)) == dict(
        zip(names, expected, strict=True)
    )
    # The analysis reads the same answers reverse-coded: the flag must not change.
    scored = response_set(TINY, {item: list(frame[item]) for item in ITEMS})
    flags = response_set_flags(scored)
    read = ["" if pd.isna(v) else "true" if v else "false" for v in flags]
    assert dict(zip(names, read, strict=True)) == dict(zip(names, expected, strict=True))


def _by_hand(rows: list[list[str]]) -> list[bool]:
    """The rule as README states it, written out independently: four or more answers to each
    of at least two key factors, each factor answered with one point of the scale throughout."""
    out = []
    for row in rows:
        judged = [[c for c in (row[i] for i in f) if c] for f in (FACTOR_1, FACTOR_2)]
        judged = [answers for answers in judged if len(answers) >= 4]
        out.append(len(judged) >= 2 and all(
            len(set(answers)) == 1 and answers[0] in "12345" for answers in judged))  # fmt: skip
    return out


def _score(rows: list[list[str]], items) -> float:
    """A key factor's score computed by hand (SCORING.md): per item, the mean of (v - 1) * 25
    over the valid answers, reverse items recoded 6 - v; the factor, the mean of its items."""
    per_item = []
    for column in items:
        values = []
        for row in rows:
            cell = row[column]
            if cell in ("1", "2", "3", "4", "5"):
                v = int(cell)
                values.append(6 - v if ITEMS[column] in REVERSE else v)
        if values:
            per_item.append(sum((v - 1) * 25 for v in values) / len(values))
    return sum(per_item) / len(per_item)


@pytest.fixture(scope="module")
def mixed():
    """40 respondents: 30 who vary their answers, 8 who press one button throughout, 2 who keep
    one line per factor."""
    rng = np.random.default_rng(11)
    rows = [list(rng.choice(["1", "2", "3", "4", "5", "DK"], len(ITEMS))) for _ in range(30)]
    rows += [["5"] * len(ITEMS)] * 8
    rows += [[str(a)] * 4 + [str(b)] * 4 for a, b in ((5, 1), (2, 4))]  # one line per factor
    return rows


def test_leaving_out_straightliners_changes_the_scores_as_computed_by_hand(mixed, tmp_path):
    flagged = _by_hand(mixed)
    assert sum(flagged) >= 10
    kept = [row for row, flag in zip(mixed, flagged, strict=True) if not flag]
    data = Dataset([response_set(TINY, {item: [r[i] for r in mixed]
                                        for i, item in enumerate(ITEMS)}, wave="2026")])  # fmt: skip
    every = analyze(data)
    without = analyze(data, exclude_straightliners=True)

    def score(results, factor: str) -> float:
        factors = results.factors
        row = factors[(factors.factor == factor) & (factors.group_var == "")]
        return float(row.score.iloc[0])

    assert score(every, "1") == pytest.approx(_score(mixed, FACTOR_1), abs=1e-9)
    assert score(without, "1") == pytest.approx(_score(kept, FACTOR_1), abs=1e-9)
    assert score(without, "2") == pytest.approx(_score(kept, FACTOR_2), abs=1e-9)
    assert abs(score(without, "1") - score(every, "1")) > 1, "the filter must change the score"
    respondents = without.factors[(without.factors.factor == "1")
                                  & (without.factors.group_var == "")].n_respondents  # fmt: skip
    assert int(respondents.iloc[0]) == len(kept)
    # The count is the same either way, and says whether the tables left them out.
    for results, excluded in ((every, False), (without, True)):
        [row] = results.quality.to_dict("records")
        assert (row["respondents"], row["straightliners"], row["excluded"]) == (
            len(mixed),
            sum(flagged),
            excluded,
        )
    # ... and it shows in the workbook's notes, in the reader's language.
    write_results(analyze(data, language="fr", exclude_straightliners=True), tmp_path, "xlsx")
    about = [r[0] for r in load_workbook(tmp_path / "results.xlsx")["about"].values if r]
    note = next(line for line in about if line and line.startswith("Réponses identiques"))
    assert f"{sum(flagged)} des" in note and "2026" in note
    assert any("sont écartés" in (line or "") for line in about)


def test_the_count_of_a_set_below_k_is_suppressed():
    rows = [["4"] * len(ITEMS)] * 6
    data = Dataset([response_set(TINY, {item: [r[i] for r in rows]
                                        for i, item in enumerate(ITEMS)})])  # fmt: skip
    [row] = analyze(data).quality.to_dict("records")
    assert row["suppressed"] and pd.isna(row["straightliners"]) and pd.isna(row["judged"])


@pytest.fixture
def cips(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    run_cips("administration", "create", "BF", "--name", "Burkina Faso", "--timezone", "UTC")
    yield run_cips
    context.settings.cache_clear()


def _flags_by_hand(codes: pd.DataFrame, officials) -> list[str]:
    """The rule written out again, on the exported codes: at least two key factors with four or
    more answers, each of them answered with one point of the scale throughout."""
    factors: dict[int, list[str]] = {}
    for question in officials.scored_items:
        factors.setdefault(question.factor, []).append(question.id)
    out = []
    for _, row in codes.iterrows():
        lines = []
        for items in factors.values():
            answers = [row[i] for i in items if row[i]]
            if len(answers) >= 4:
                lines.append(len(set(answers)) == 1 and answers[0] in "12345")
        out.append("" if len(lines) < 2 else "true" if all(lines) else "false")
    return out


def _index_respondents(cips, out, *options) -> tuple[int, list]:
    cips("analyze", "--administration", "BF", "--wave", "2025", "--format", "json", "--out",
         str(out), *options)  # fmt: skip
    factors = json.loads((out / "factors.json").read_text())
    index = next(f for f in factors if f["factor"] == "integrity_index" and not f["group_var"])
    return index["n_respondents"], json.loads((out / "quality.json").read_text())


def test_every_respondent_level_file_carries_the_flag_and_analyze_filters(cips, tmp_path):
    officials = load_questionnaires()["cips-officials"]
    frame = generate_wave(officials, 40, administration="BF", wave="2025", seed=4)
    items = [q.id for q in officials.scored_items]
    frame.loc[:4, items] = "5"  # five who agree with everything, the reversed statements too
    cips("import", str(write(frame, tmp_path / "wave.csv")), "--code", "bf-2025")
    cips("export", "--campaign", "bf-2025", "-o", str(tmp_path / "codes.csv"))
    codes = pd.read_csv(tmp_path / "codes.csv", dtype=str, keep_default_na=False)
    assert list(codes.columns)[-1] == "straightliner"
    expected = _flags_by_hand(codes, officials)
    assert list(codes.straightliner) == expected
    same = (codes[items] == "5").all(axis=1)
    assert list(codes.straightliner[same]) == ["true"] * 5
    flagged = expected.count("true")
    for fmt, reader in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        cips("export", "--campaign", "bf-2025", "-o", str(tmp_path / f"bf.{fmt}"))
        data, meta = reader(str(tmp_path / f"bf.{fmt}"))
        by_id = dict(zip(data.respondent_id, data.straightliner, strict=True))
        read = ["" if np.isnan(by_id[r]) else ("true" if by_id[r] == 1 else "false")
                for r in codes.respondent_id]  # fmt: skip
        assert read == expected
        assert meta.variable_value_labels["straightliner"] == {0: "No", 1: "Yes"}
    every, quality = _index_respondents(cips, tmp_path / "every")
    assert [(q["straightliners"], q["excluded"]) for q in quality] == [(flagged, False)]
    without, quality = _index_respondents(cips, tmp_path / "without", "--exclude-straightliners")
    assert [(q["straightliners"], q["excluded"]) for q in quality] == [(flagged, True)]
    assert without == every - flagged
    # The exported file imports again (the flag is taken as derived: recomputed, not trusted);
    # the same responses in the same wave, so only when asked for in so many words.
    cips("import", str(tmp_path / "codes.csv"), "--code", "again", "--allow-duplicates")

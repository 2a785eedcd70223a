"""The whole pipeline on generated waves, against an independent computation: plain pandas for
the scores, statsmodels for the Wilson and Newcombe intervals, pingouin for Cronbach's alpha."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from analysis import Dataset, analyze, build_response_set, generate_wave
from survey.loader import load_questionnaires

K = 10
WAVES = (("2024", 0.0), ("2026", 0.35))


@pytest.fixture(scope="module")
def waves():
    """Interchange frames (text cells) of two surveys in two waves, and the questionnaires."""
    questionnaires = load_questionnaires()
    frames = {}
    for number, qid in enumerate(("cips-officials", "cips-private-sector")):
        for seed, (wave, shift) in enumerate(WAVES):
            frames[(qid, wave)] = generate_wave(questionnaires[qid], 450, administration="BF",
                                                wave=wave, seed=10 * number + seed, shift=shift)  # fmt: skip
    return questionnaires, frames


@pytest.fixture(scope="module")
def results(waves):
    questionnaires, frames = waves
    sets = []
    for (qid, wave), frame in frames.items():
        frame = frame.assign(completed=frame["completed"] == "true")
        sets.append(build_response_set(questionnaires[qid], "BF", wave, frame))
    return analyze(Dataset(sets), min_cell=K)


def recoded(frame: pd.DataFrame, questionnaire) -> pd.DataFrame:
    """Independent recoding: 1-5 as numbers (6 - v for reverse items), NaN otherwise."""
    out = {}
    for item in questionnaire.scored_items:
        values = pd.to_numeric(frame[item.id].where(frame[item.id].isin(list("12345"))))
        out[item.id] = 6 - values if item.reverse else values
    return pd.DataFrame(out)


def expected_items(frame, questionnaire, by: str | None) -> pd.DataFrame:
    values = recoded(frame, questionnaire)
    keys = frame[by] if by else pd.Series("", index=frame.index)
    rows = []
    for item in questionnaire.scored_items:
        answered = frame[item.id]
        for group, index in keys.groupby(keys).groups.items():
            if by and group == "":
                continue
            v = values.loc[index, item.id].dropna()
            cell = answered.loc[index]
            favourable = int((v >= 4).sum())
            low, high = proportion_confint(favourable, len(v), alpha=0.05, method="wilson")
            rows.append({
                "item_id": item.id, "group_value": group, "n_valid": len(v),
                "n_dk": int((cell == "DK").sum()), "n_pna": int((cell == "PNA").sum()),
                "score": ((v - 1) * 25).mean(), "pct_favourable": 100 * favourable / len(v),
                "pct_unfavourable": 100 * (v <= 2).mean(), "ci_low": 100 * low,
                "ci_high": 100 * high,
            })  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("by", [None, "gender", "experience"])
def test_item_metrics_match_an_independent_computation(waves, results, by):
    questionnaires, frames = waves
    frame = frames[("cips-officials", "2026")]
    expected = expected_items(frame, questionnaires["cips-officials"], by)
    ours = results.items[
        (results.items.survey == "officials")
        & (results.items.wave == "2026")
        & (results.items.group_var == (by or ""))
        & ~results.items.suppressed
    ]
    merged = ours.merge(expected, on=["item_id", "group_value"], suffixes=("", "_expected"))
    assert len(merged) == len(ours) > 40
    for column in ("n_valid", "n_dk", "n_pna"):
        assert (merged[column].astype(int) == merged[f"{column}_expected"]).all()
    for column in ("score", "pct_favourable", "pct_unfavourable"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_expected"], rtol=1e-12)
    # statsmodels uses z = 1.95996398..., SCORING.md z = 1.959964: equal to 1e-6 points.
    for column in ("ci_low", "ci_high"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_expected"], atol=1e-6)
    # Every suppressed cell is small, or the complement of the one small cell of its item.
    hidden = results.items[(results.items.group_var == (by or "")) & results.items.suppressed]
    for item_id, cells in hidden.groupby("item_id"):
        answered = expected[expected.item_id == item_id].set_index("group_value")
        sizes = answered.n_valid + answered.n_dk + answered.n_pna
        small = [g for g in cells.group_value if sizes.get(g, 0) < K]
        assert len(small) >= len(cells) - 1


def test_factor_scores_and_alpha_match_an_independent_computation(waves, results):
    questionnaires, frames = waves
    for qid, survey in (("cips-officials", "officials"), ("cips-private-sector", "private_sector")):
        questionnaire = questionnaires[qid]
        frame = frames[(qid, "2024")]
        values = recoded(frame, questionnaire)
        scores = (values - 1) * 25
        favourable = (values >= 4).where(values.notna())
        ours = results.factors[
            (results.factors.survey == survey)
            & (results.factors.wave == "2024")
            & (results.factors.group_var == "")
        ].set_index("factor")
        factor_scores = []
        for factor in sorted({q.factor for q in questionnaire.scored_items}):
            items = [q.id for q in questionnaire.scored_items if q.factor == factor]
            row = ours.loc[str(factor)]
            assert row.score == pytest.approx(scores[items].mean().mean(), rel=1e-12)
            assert row.pct_favourable == pytest.approx(100 * favourable[items].mean().mean())
            assert row.n_respondents == values[items].notna().any(axis=1).sum()
            if len(items) >= 2:
                alpha, _ = pingouin.cronbach_alpha(data=values[items], nan_policy="listwise")
                assert row.alpha == pytest.approx(alpha, rel=1e-9)
            factor_scores.append(row.score)
        assert ours.loc["integrity_index"].score == pytest.approx(np.mean(factor_scores))
        for construct in questionnaire.constructs:
            row = ours.loc[construct.id]
            assert row.score == pytest.approx(scores[list(construct.items)].mean().mean())
            alpha, _ = pingouin.cronbach_alpha(data=values[list(construct.items)],
                                               nan_policy="listwise")  # fmt: skip
            assert row.alpha == pytest.approx(alpha, rel=1e-9)


def test_gaps_and_trends_match_statsmodels_newcombe(results):
    factors = results.factors[results.factors.group_var == ""].set_index(
        ["survey", "wave", "factor"]
    )

    def newcombe(side1, side2):
        p1, n1 = side1.pct_favourable / 100, int(side1.n_respondents)
        p2, n2 = side2.pct_favourable / 100, int(side2.n_respondents)
        low, high = confint_proportions_2indep(p1 * n1, n1, p2 * n2, n2, method="newcomb",
                                               compare="diff")  # fmt: skip
        return 100 * (p1 - p2), 100 * low, 100 * high

    gaps = results.gaps[results.gaps.item_id == ""]
    assert len(gaps) == 20  # 10 key factors in each of the two waves
    for gap in gaps.itertuples():
        expected = newcombe(factors.loc[("officials", gap.wave, gap.factor)],
                            factors.loc[("private_sector", gap.wave, gap.factor)])  # fmt: skip
        assert (gap.difference, gap.ci_low, gap.ci_high) == pytest.approx(expected, abs=1e-6)
        assert gap.significant == (gap.ci_low > 0 or gap.ci_high < 0)
    trends = results.trends[results.trends.item_id == ""]
    assert set(trends.wave) == {"2026"} and set(trends.earlier_wave) == {"2024"}
    for trend in trends.itertuples():
        expected = newcombe(factors.loc[(trend.survey, "2026", trend.factor)],
                            factors.loc[(trend.survey, "2024", trend.factor)])  # fmt: skip
        assert (trend.difference, trend.ci_low, trend.ci_high) == pytest.approx(expected, abs=1e-6)
    # The generated 2026 wave is more favourable: most factors rise significantly.
    assert (trends.significant & (trends.difference > 0)).sum() >= 10


def test_item_gaps_follow_the_links(waves, results):
    questionnaires, _ = waves
    linked = {q.id: q.link for q in questionnaires["cips-officials"].scored_items if q.link}
    item_gaps = results.gaps[(results.gaps.item_id != "") & (results.gaps.wave == "2024")]
    assert dict(zip(item_gaps.item_id, item_gaps.linked_item_id, strict=True)) == linked
    items = results.items[(results.items.group_var == "") & (results.items.wave == "2024")]
    pct = dict(zip(items.item_id, items.pct_favourable, strict=True))
    for gap in item_gaps.itertuples():
        assert gap.difference == pytest.approx(pct[gap.item_id] - pct[gap.linked_item_id])


def test_problems_and_kpis_come_from_the_published_tables(results):
    problems = results.problems
    officials = problems[(problems.survey == "officials") & (problems.wave == "2024")]
    weakest = officials[officials.level == "factor"].sort_values("rank")
    published = results.factors[
        (results.factors.survey == "officials")
        & (results.factors.wave == "2024")
        & (results.factors.group_var == "")
        & results.factors.factor.str.isdigit()
    ]
    assert weakest.factor.iloc[0] == published.sort_values("score").factor.iloc[0]
    assert list(weakest["rank"]) == list(range(1, len(weakest) + 1))
    groups = officials[officials.level == "group"]
    assert (groups.below_overall > 0).all() and groups.below_overall.is_monotonic_decreasing
    kpis = results.kpis.set_index("kpi")
    index = kpis.loc["officials:factor:integrity_index:score"]
    overall = published.set_index("factor")
    assert index["2024"] == pytest.approx(
        results.factors.query("survey == 'officials' and wave == '2024' and group_var == ''")
        .set_index("factor")
        .loc["integrity_index"]
        .score
    )
    assert kpis.loc["officials:factor:6:pct_favourable", "2024"] == overall.loc["6"].pct_favourable

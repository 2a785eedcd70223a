"""Raking weights (issue 20, item 4): the weights against an independent implementation written
here with plain loops (to 1e-9) and a case solved by hand; weighted scores and proportions with
Kish intervals; suppression on the unweighted counts; every reason margins are refused."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest

from analysis.frames import Dataset, build_response_set
from analysis.results import analyze
from analysis.tables import items_table
from analysis.weights import MarginsError, check, kish, parse_csv, rake, response_weights
from survey.i18n import render
from survey.questionnaire import Choice, Question, Questionnaire, QuestionType, Survey
from tests.analysis_support import agreement


def choice(qid: str, codes: list[str]) -> Question:
    return Question(qid, QuestionType.SINGLE_CHOICE, qid, demographic=True,
                    choices=tuple(Choice(c, c) for c in codes))  # fmt: skip


QUESTIONNAIRE = Questionnaire(
    id="weighting",
    version="1",
    survey=Survey.OFFICIALS,
    title="Weighting",
    source_language="en",
    demographics=(
        choice("gender", ["female", "male", "pna"]),
        choice("grade", ["junior", "middle", "senior"]),
        choice("region", ["north", "south", "pna"]),
    ),
    items=(agreement("s1", 1), agreement("s2", 1), agreement("s3", 2, reverse=True)),
)
MARGINS_CSV = (
    "question,value,population\n"
    "gender,female,3500\ngender,male,6500\n"
    "grade,junior,5000\ngrade,middle,3000\ngrade,senior,2000\n"
    "region,north,4000\nregion,south,6000\n"
)


def sample(n: int = 400, seed: int = 5) -> pd.DataFrame:
    """Made-up respondents, skewed against the margins, some blanks and Prefer not to answer,
    some who did not complete."""
    rng = random.Random(seed)

    def pick(options, weights):
        return rng.choices(options, weights)[0]

    rows = []
    for i in range(n):
        rows.append({
            "respondent_id": f"r{i}", "language": "en", "completed": rng.random() > 0.1,
            "gender": pick(["female", "male", "pna", ""], [5, 3, 1, 1]),
            "grade": pick(["junior", "middle", "senior", ""], [2, 3, 4, 0.5]),
            "region": pick(["north", "south", "pna"], [6, 3, 1]),
            **{item: pick(["1", "2", "3", "4", "5", "DK", "PNA", ""], [1, 2, 3, 4, 3, 1, 1, 1])
               for item in ("s1", "s2", "s3")},
        })  # fmt: skip
    return pd.DataFrame(rows)


def independent_weights(frame: pd.DataFrame, margins: dict[str, dict[str, float]]) -> list[float]:
    """Raking written out with plain loops, as the README states the rule: fitted on the
    completed respondents; a respondent without a population category on a question (blank,
    pna) is left out of that question's step; targets are the population shares of the
    respondents who have a category; weights average 1 over the completed respondents; every
    respondent's weight is the product of its categories' factors."""
    people = frame.to_dict("records")
    factors = {q: {v: 1.0 for v in values} for q, values in margins.items()}

    def weight(person) -> float:
        w = 1.0
        for q in margins:
            w *= factors[q].get(person[q], 1.0)
        return w

    done = [p for p in people if p["completed"]]
    for _ in range(5000):
        for q, values in margins.items():
            total_population = sum(values.values())
            held = {v: 0.0 for v in values}
            for p in done:
                if p[q] in values:
                    held[p[q]] += weight(p)
            known = sum(held.values())
            for v in values:
                factors[q][v] *= (values[v] / total_population) * known / held[v]
        gaps = []
        for q, values in margins.items():
            total_population = sum(values.values())
            held = {v: 0.0 for v in values}
            for p in done:
                if p[q] in values:
                    held[p[q]] += weight(p)
            known = sum(held.values())
            gaps += [abs(held[v] / known - values[v] / total_population) for v in values]
        if max(gaps) < 1e-14:
            break
    mean = sum(weight(p) for p in done) / len(done)
    return [weight(p) / mean for p in people]


def test_weights_match_an_independent_implementation():
    frame = sample()
    response_set = build_response_set(QUESTIONNAIRE, "XX", "1", frame)
    margins = parse_csv(MARGINS_CSV)
    check(margins, response_set, k=10)
    weights = response_weights(response_set, margins)
    expected = independent_weights(frame, margins.populations)
    assert np.max(np.abs(weights.to_numpy() - np.array(expected))) < 1e-9
    # And they do what raking is for: completed respondents' weighted shares meet the margins.
    completed = frame["completed"].to_numpy()
    for question, values in margins.populations.items():
        answered = frame[question].isin(list(values)).to_numpy() & completed
        for value, population in values.items():
            share = (
                weights[(frame[question] == value).to_numpy() & completed].sum()
                / weights[answered].sum()
            )
            assert share == pytest.approx(population / sum(values.values()), abs=1e-10)
    assert weights[completed].mean() == pytest.approx(1.0, abs=1e-12)


def test_a_small_case_solved_by_hand():
    """Six people: men-junior 3, men-senior 1, women-junior 1, women-senior 1; population half
    men, half junior. With weights a(sex) * b(grade) the four margins give w(MJ) = x, w(MS) =
    w(FJ) = 3 - 3x, w(FS) = 3x and w(MJ) w(FS) = w(MS) w(FJ), so 3x^2 = 9(1 - x)^2:
    x = (3 - sqrt 3) / 2."""
    sex = np.array([0, 0, 0, 0, 1, 1])
    grade = np.array([0, 0, 0, 1, 0, 1])
    half = np.array([0.5, 0.5])
    fitted = rake({"sex": sex, "grade": grade}, {"sex": half, "grade": half})
    weights = fitted.factors["sex"][sex] * fitted.factors["grade"][grade]
    x = (3 - math.sqrt(3)) / 2
    assert weights == pytest.approx([x, x, x, 3 - 3 * x, 3 - 3 * x, 3 * x], abs=1e-12)
    # Kish: (sum w)^2 / sum w^2, here 36 / (3x^2 + 2(3 - 3x)^2 + 9x^2).
    expected = 36 / (3 * x**2 + 2 * (3 - 3 * x) ** 2 + 9 * x**2)
    assert kish(weights) == pytest.approx(expected, abs=1e-12)


def test_weighted_scores_and_intervals_against_plain_loops():
    frame = sample()
    response_set = build_response_set(QUESTIONNAIRE, "XX", "1", frame)
    response_set.weights = response_weights(response_set, parse_csv(MARGINS_CSV))
    weighted = items_table(Dataset([response_set]), min_cell=10, weighted=True)
    plain = items_table(Dataset([response_set]), min_cell=10)
    w = response_set.weights.to_numpy()
    for item in ("s1", "s3"):
        answers = list(frame[item])
        if item == "s3":  # reverse coded
            answers = [str(6 - int(a)) if a in "12345" and a else a for a in answers]
        for group in ("", "female"):
            rows = [i for i in range(len(frame)) if group in ("", frame["gender"][i])]
            valid = [i for i in rows if answers[i] in ("1", "2", "3", "4", "5")]
            total = sum(w[i] for i in valid)
            score = sum(w[i] * (int(answers[i]) - 1) * 25 for i in valid) / total
            share = sum(w[i] for i in valid if answers[i] in ("4", "5")) / total
            n_eff = total**2 / sum(w[i] ** 2 for i in valid)
            z = 1.959964
            centre = (share + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
            half = (
                z
                / (1 + z * z / n_eff)
                * math.sqrt(share * (1 - share) / n_eff + z * z / (4 * n_eff**2))
            )
            row = weighted[(weighted["item_id"] == item) & (weighted["group_value"] == group)]
            unweighted = plain[(plain["item_id"] == item) & (plain["group_value"] == group)]
            assert row["score"].item() == pytest.approx(score, abs=1e-9)
            assert row["pct_favourable"].item() == pytest.approx(100 * share, abs=1e-9)
            assert row["n_effective"].item() == pytest.approx(n_eff, abs=1e-9)
            assert row["ci_low"].item() == pytest.approx(100 * (centre - half), abs=1e-9)
            assert row["ci_high"].item() == pytest.approx(100 * (centre + half), abs=1e-9)
            # The counts stay those of people, as the unweighted table has them.
            assert row["n_valid"].item() == len(valid) == unweighted["n_valid"].item()
            assert row["score"].item() != pytest.approx(unweighted["score"].item(), abs=1e-6)


def test_suppression_reads_the_unweighted_counts():
    """Nine senior officials, all from the south, which the margins weigh about 4.5 times: their
    weighted n is far over k = 10, but they are nine people, so every table suppresses them,
    weighted or not, and both tables suppress the same cells."""
    frame = sample(300, seed=11)
    frame["region"] = ["south"] * 40 + ["north"] * 260
    frame["grade"] = frame["grade"].replace("senior", "middle")
    frame.loc[frame.index[:40], "completed"] = True
    frame.loc[frame.index[:9], "grade"] = "senior"
    response_set = build_response_set(QUESTIONNAIRE, "XX", "1", frame)
    margins = parse_csv("question,value,population\nregion,north,4000\nregion,south,6000\n")
    check(margins, response_set, k=10)
    response_set.weights = response_weights(response_set, margins)
    seniors = (frame["grade"] == "senior").to_numpy()
    assert response_set.weights[seniors].sum() > 30  # what a weighted count would say
    weighted = analyze(Dataset([response_set]), min_cell=10, weighted=True)
    plain = analyze(Dataset([response_set]), min_cell=10)
    for name in ("items", "factors"):
        a, b = weighted.tables[name], plain.tables[name]
        assert a["suppressed"].tolist() == b["suppressed"].tolist()
        rows = a[(a["group_var"] == "grade") & (a["group_value"] == "senior")]
        assert len(rows) and rows["suppressed"].all() and rows["score"].isna().all()
        published = a[(a["group_var"] == "region") & ~a["suppressed"]]
        assert len(published) == 2 * len(a[a["group_var"] == ""])  # north and south shown


def test_margins_are_refused_with_reasons():
    frame = sample()
    frame.loc[frame.index[:300], "grade"] = "junior"
    frame.loc[(frame["grade"] == "senior"), "completed"] = False  # no completed senior
    response_set = build_response_set(QUESTIONNAIRE, "XX", "1", frame)

    def problems(text: str, k: int = 10) -> list[str]:
        with pytest.raises(MarginsError) as raised:
            check(parse_csv(text), response_set, k)
        french = [render(p, "fr") for p in raised.value.problems]
        english = [render(p, "en") for p in raised.value.problems]
        assert french != english  # translated
        return english

    header = "question,value,population\n"
    assert problems(header + "age,young,10\n") == [
        "age is not a single-choice demographic question of the questionnaire weighting."
    ]
    assert problems(header + "gender,other,10\ngender,pna,5\n") == [
        "other is not a category of gender (its categories: female, male).",
        "pna is not a category of gender (its categories: female, male).",
    ]
    found = problems(header + "gender,female,3500\ngender,male,6500\nregion,north,4000\n"
                     "region,south,5000\n")  # fmt: skip
    assert found == ["Every question's populations must sum to the same total: region sums to "
                     "9,000, gender to 10,000."]  # fmt: skip
    found = problems(header + "grade,junior,5000\ngrade,middle,3000\ngrade,senior,2000\n")
    assert any("grade = senior holds fewer than 10 completed responses" in p for p in found)
    # No completed senior and no senior population: nothing to weight there, nothing to say.
    check(parse_csv(header + "grade,junior,5000\ngrade,middle,5000\n"), response_set, 10)
    found = problems(header + "gender,female,10000\n")
    assert found == ["gender = male holds completed responses but has no population in the "
                     "margins."]  # fmt: skip
    middle = int(((frame["grade"] == "middle") & frame["completed"]).sum())
    found = problems(header + "grade,junior,5000\ngrade,middle,5000\n", k=middle + 1)
    assert found == [f"grade = middle holds fewer than {middle + 1} completed responses: "
                     "weighting on it would let weighted and unweighted figures reveal a group "
                     "too small to publish. Merge it with another category or leave grade out "
                     "of the margins."]  # fmt: skip


def test_a_bad_margins_file_is_refused_row_by_row():
    def problems(text: str) -> list[str]:
        with pytest.raises(MarginsError) as raised:
            parse_csv(text)
        return [render(p, "en") for p in raised.value.problems]

    assert problems("question,category,n\n") == [
        "The margins file needs the columns question, value, population (found: question, "
        "category, n)."
    ]
    bad = "question,value,population\ngender,female,-3\ngender,male,abc\ngender,female,4\n"
    assert problems(bad) == [
        "Row 2: the population of gender = female must be a number of 0 or more (found: -3).",
        "Row 3: the population of gender = male must be a number of 0 or more (found: abc).",
    ]
    assert problems("question,value,population\ngender,male,4\ngender,male,5\n") == [
        "Row 3: gender = male is given twice."
    ]
    assert problems("question,value,population\n") == ["The margins file holds no rows."]
    # Column order, a byte-order mark, spaces and thousands separators are taken.
    margins = parse_csv('\ufeffvalue, question ,population\nfemale,gender,"3,500"\n')
    assert margins.populations == {"gender": {"female": 3500.0}}


def test_the_k_rule_stops_the_attack_it_is_there_for():
    """The attack: three senior officials, suppressed in the breakdown by grade; margins that
    give seniors half the weight. The overall score, published weighted and unweighted, is two
    equations in the juniors' and the seniors' totals: whoever knows the margins and that three
    seniors answered solves them for the seniors' own score. So such margins are refused."""
    questionnaire = Questionnaire(
        id="attack", version="1", survey=Survey.OFFICIALS, title="Attack", source_language="en",
        demographics=(choice("grade", ["junior", "senior"]),), items=(agreement("s1", 1),),
    )  # fmt: skip
    rng = random.Random(3)
    answers = [str(rng.randint(2, 5)) for _ in range(40)] + ["1", "1", "2"]
    frame = pd.DataFrame({
        "respondent_id": [f"r{i}" for i in range(43)], "language": "en", "completed": True,
        "grade": ["junior"] * 40 + ["senior"] * 3, "s1": answers,
    })  # fmt: skip
    response_set = build_response_set(questionnaire, "XX", "1", frame)
    margins = parse_csv("question,value,population\ngrade,junior,500\ngrade,senior,500\n")
    response_set.weights = response_weights(response_set, margins)
    weighted = items_table(Dataset([response_set]), min_cell=10, weighted=True)
    plain = items_table(Dataset([response_set]), min_cell=10)
    senior = (weighted["group_var"] == "grade") & (weighted["group_value"] == "senior")
    assert weighted.loc[senior, "suppressed"].item() and plain.loc[senior, "suppressed"].item()

    # The attacker's arithmetic, from published figures and what it knows.
    u = plain.loc[plain["group_var"] == "", "score"].item()
    w = weighted.loc[weighted["group_var"] == "", "score"].item()
    w_junior, w_senior = 0.5 / (40 / 43), 0.5 / (3 / 43)
    seniors_total = 43 * (w - w_junior * u) / (w_senior - w_junior)
    assert seniors_total / 3 == pytest.approx((0 + 0 + 25) / 3, abs=1e-9)  # revealed

    with pytest.raises(MarginsError) as raised:
        check(margins, response_set, k=10)
    assert [render(p, "en")[:50] for p in raised.value.problems] == [
        "grade = senior holds fewer than 10 completed respo"
    ]

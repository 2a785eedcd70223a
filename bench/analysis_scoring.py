"""Benchmark: the full analysis of SCORING.md on 1,000,000 respondents x 40 items with 4
breakdown questions, beside the floor: a bare pandas `groupby(item).mean()` over the same answers
in long form (40,000,000 rows).

    python -m bench.analysis_scoring [--respondents 1000000] [--repeat 3]

Each measurement runs in a fresh process, so its peak memory (peak RSS, input data included)
is its own. The analysis starts from the in-memory tidy frames (`ResponseSet`: one int8 column
per item, categorical demographics) and produces every table: item metrics, factor, construct
and index metrics with Cronbach's alpha, overall and broken down by the 4 questions, small-cell
suppression with the complementary rule, "where the problems are" and the KPI table.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import resource
import time

import numpy as np
import pandas as pd

ITEMS = 40
FACTORS = 10
BREAKDOWNS = {"gender": 3, "experience": 6, "location": 7, "function": 8}


def questionnaire():
    from survey.questionnaire import (
        Choice,
        Construct,
        Question,
        Questionnaire,
        QuestionType,
        Survey,
    )

    demographics = tuple(
        Question(
            name,
            QuestionType.SINGLE_CHOICE,
            name,
            demographic=True,
            choices=tuple(Choice(f"c{i}", f"C{i}") for i in range(size)),
        )
        for name, size in BREAKDOWNS.items()
    )
    items = tuple(
        Question(
            f"i{j:02d}",
            QuestionType.AGREEMENT,
            f"Item {j}",
            factor=j % FACTORS + 1,
            reverse=j % 7 == 3,
        )
        for j in range(ITEMS)
    )
    construct = Construct("whistleblower_protection", "Whistleblower protection",
                          ("i00", "i05", "i06", "i11", "i16"))  # fmt: skip
    return Questionnaire("bench", "1", Survey.OFFICIALS, "Benchmark", "en", demographics, items,
                         (construct,))  # fmt: skip


def response_set(n: int, seed: int = 1):
    """Made-up answers, generated straight as codes (column by column to keep memory low)."""
    from analysis.frames import ResponseSet

    rng = np.random.default_rng(seed)
    q = questionnaire()
    respondents = {"language": pd.Categorical.from_codes(rng.integers(0, 2, n), ["en", "fr"]),
                   "completed": rng.random(n) < 0.92}  # fmt: skip
    for question in q.demographics:
        size = len(question.choices)
        codes = rng.choice(size, n, p=rng.dirichlet(np.full(size, 3.0)))
        codes[rng.random(n) < 0.01] = -1  # did not answer
        respondents[question.id] = pd.Categorical.from_codes(
            codes, [c.code for c in question.choices]
        )
    view = rng.normal(0, 1, n).astype(np.float32)
    codes = np.empty((n, ITEMS), dtype=np.int8, order="F")
    for j in range(ITEMS):
        noisy = view + rng.normal(0, 0.9, n).astype(np.float32)
        column = np.searchsorted(np.array([-1.4, -0.5, 0.4, 1.3], np.float32), noisy) + 1
        draw = rng.random(n)
        column[draw < 0.05] = 6  # DK
        column[(draw >= 0.05) & (draw < 0.07)] = 7  # PNA
        column[(draw >= 0.07) & (draw < 0.10)] = 0  # not reached
        codes[:, j] = column
    index = pd.RangeIndex(n, name="respondent_id")
    answers = pd.DataFrame(codes, index=index, columns=[i.id for i in q.items])
    return ResponseSet(q, "BENCH", "2026", pd.DataFrame(respondents, index=index), answers)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _floor(n: int, queue) -> None:
    data = response_set(n)
    codes = data.answers.to_numpy()
    long = pd.DataFrame({
        "item": pd.Categorical.from_codes(np.tile(np.arange(ITEMS, dtype=np.int8), n),
                                          list(data.answers.columns)),
        "value": codes.ravel(order="C"),
    })  # fmt: skip
    del codes
    before = _rss_mib()
    start = time.perf_counter()
    long.groupby("item", observed=True)["value"].mean()
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    data.answers.mean()
    queue.put((elapsed, before, _rss_mib(), time.perf_counter() - start))


def _analysis(n: int, queue) -> None:
    from analysis import Dataset, analyze

    data = response_set(n)
    before = _rss_mib()
    start = time.perf_counter()
    results = analyze(Dataset([data]), min_cell=10)
    elapsed = time.perf_counter() - start
    rows = sum(len(t) for t in results.tables.values())
    queue.put((elapsed, before, _rss_mib(), rows))


def measure(target, n: int) -> tuple:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(n, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.respondents
    print(f"{n:,} respondents x {ITEMS} items, {len(BREAKDOWNS)} breakdown questions "
          f"({', '.join(f'{k} {v}' for k, v in BREAKDOWNS.items())} categories); "
          f"Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, "
          f"{multiprocessing.cpu_count()} cores")  # fmt: skip
    floors = [measure(_floor, n) for _ in range(args.repeat)]
    runs = [measure(_analysis, n) for _ in range(args.repeat)]
    floor = min(f[0] for f in floors)
    best = min(r[0] for r in runs)
    print(f"floor  groupby(item).mean() over {n * ITEMS:,} rows: best {floor:.2f} s "
          f"(runs {', '.join(f'{f[0]:.2f}' for f in floors)}), "
          f"peak RSS {max(f[2] for f in floors):,.0f} MiB (data alone {floors[0][1]:,.0f} MiB)")  # fmt: skip
    print(f"full analysis ({runs[0][3]:,} result rows): best {best:.2f} s "
          f"(runs {', '.join(f'{r[0]:.2f}' for r in runs)}), "
          f"peak RSS {max(r[2] for r in runs):,.0f} MiB (data alone {runs[0][1]:,.0f} MiB)")  # fmt: skip
    print(f"ratio: {best / floor:.2f}x the floor (aim: at most 5x, under 4 GB)")
    wide = min(f[3] for f in floors)
    print(f"for scale: column means of the wide int8 frame (DataFrame.mean()) take {wide:.3f} s")


if __name__ == "__main__":
    main()

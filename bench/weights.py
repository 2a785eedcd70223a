"""Benchmark: raking weights (`analysis.weights`) on a made-up officials' wave, and the result
tables weighted against unweighted (a weighted release computes both).

    python -m bench.weights [--respondents 100000]

Margins on gender, leadership and location (10 categories); prints the seconds of the check,
the raking (and its sweeps) and each analysis.
"""

from __future__ import annotations

import argparse
import time

from analysis.frames import Dataset, build_response_set
from analysis.results import analyze
from analysis.synthetic import generate_wave
from analysis.weights import check, parse_csv, response_weights
from survey.loader import load_questionnaires

MARGINS = """question,value,population
gender,female,4000
gender,male,6000
leadership,yes,2300
leadership,no,7700
location,hq,3000
location,seaport,2000
location,airport,1000
location,land_border,2500
location,inland,1000
location,other,500
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    args = parser.parse_args()
    questionnaire = load_questionnaires()["cips-officials"]
    frame = generate_wave(questionnaire, args.respondents, administration="BF", wave="2025")
    frame["completed"] = frame["completed"] == "true"
    margins = parse_csv(MARGINS)

    def response_set():
        return build_response_set(questionnaire, "BF", "2025", frame)

    timed = {}
    data = response_set()
    start = time.perf_counter()
    check(margins, data, 10)
    timed["check"] = time.perf_counter() - start
    start = time.perf_counter()
    weights = response_weights(data, margins)
    timed["raking"] = time.perf_counter() - start
    for weighted in (False, True):
        data = response_set()
        data.weights = weights
        start = time.perf_counter()
        analyze(Dataset([data]), min_cell=10, weighted=weighted)
        timed["tables, weighted" if weighted else "tables, unweighted"] = (
            time.perf_counter() - start
        )
    print(f"{args.respondents:,} respondents")
    for name, seconds in timed.items():
        print(f"{name:>20}: {seconds:.2f} s")


if __name__ == "__main__":
    main()

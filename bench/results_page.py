"""Response times of the results page, its charts and its workbook on a realistic wave, at two
sizes: 1,550 and 100,000 respondents in the wave shown (issue 20, item 7: first view at most 1 s
and 2 s).

One administration with two waves of both questionnaires (officials and private sector), the
wave's respondents split evenly between the two, made up by `analysis.synthetic` (DK/PNA,
dropouts, skip logic), so the second wave has scores, a perception gap and a trend. They are
stored as closed campaigns by bulk inserts of sealed rows (`analysis.importing.store_responses`:
one executemany for the responses and one for the answers of each campaign, in random order),
skipping the file round trip of `cips import`. Requests go through the whole Flask app (routing,
sign-in check, SQL, template or drawing) with its test client.

- release of a wave: what the clock does once after a close (`analysis.releases.store_missing`):
  load the wave and the earlier one, score every table with every breakdown, store them, in each
  of the five languages (both waves are stored here; the figure is per wave). Above 10,000
  respondents the answers are handed to the release from memory instead of loaded back five
  times (the same response sets; loading 10 million answer rows per language would take
  minutes), the rest of the release (scoring, encoding, storing) unchanged;
- first view, fresh process: a new Python process creates the app, signs in, and times its
  first request of the page (tables stored at close: release version, reading and decoding the
  stored tables, shaping the full tables, compiling and rendering the template), three times;
- page, stored release: a view in a process that has not read this release yet (its caches
  emptied);
- page, again: a view of a release this process has read (release version, template);
- chart, first / again: a chart drawn for the first time at this version, then served again;
- workbook: the result tables as XLSX.

Run: `python -m bench.results_page [--respondents N[,N...]] [--requests N]` (default 1550,100000);
PostgreSQL is started from the machine's binaries as tests/postgres_server.py does.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from html import unescape
from unittest import mock

from sqlalchemy import select

from analysis.frames import build_response_set
from analysis.importing import store_responses
from analysis.synthetic import generate_wave
from bench import backends, machine
from survey.campaigns import create_administration, create_campaign
from survey.i18n import available_languages
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.migrate import upgrade
from survey.storage.models import Administration, Role, User, utcnow
from web.clock import Clock

PASSWORD = "bench password 123"
WAVES = (("2024", 0.0), ("2026", 0.3))
PAGE = "/results/BN/2026"
SURVEYS = (("cips-officials", 1), ("cips-private-sector", 2))


FROM_MEMORY_ABOVE = 10_000  # respondents: above, the release gets the answers from memory


def populate(db: Database, respondents: int) -> tuple[int, dict]:
    """Two waves of both questionnaires (`respondents` per wave, half each), stored as closed
    campaigns by bulk inserts of sealed rows, and an analyst; the number of answer rows, and
    the response sets per wave (for a release from memory)."""
    from web.users import hash_password

    questionnaires = load_questionnaires()
    with db.transaction() as session:
        admin = create_administration(session, "BN", "Bench", "UTC", ["en", "fr", "ar"])
        session.add(User(username="analyst", password_hash=hash_password(PASSWORD),
                         role=Role.ANALYST, administration=admin))  # fmt: skip
    sets: dict[str, list] = {}
    for wave, shift in WAVES:
        for questionnaire, seed in SURVEYS:
            loaded = questionnaires[questionnaire]
            frame = generate_wave(loaded, respondents // 2, administration="BN", wave=wave,
                                  seed=seed + int(wave), shift=shift)  # fmt: skip
            frame["completed"] = frame["completed"] == "true"
            with db.transaction() as session:
                admin = session.scalars(select(Administration)).one()
                campaign = create_campaign(session, admin, loaded, wave,
                                           code=f"bn-{wave}-{questionnaire}")  # fmt: skip
                campaign.closed_at = utcnow()
                store_responses(session, campaign, frame)
            sets.setdefault(wave, []).append(build_response_set(loaded, "BN", wave, frame))
    with db.engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT COUNT(*) FROM sealed_answers").scalar_one()
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    return count, sets


def timed(call, requests: int, before=None) -> tuple[float, float]:
    times = []
    for _ in range(requests):
        if before is not None:
            before()
        started = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times) * 1000, max(times) * 1000


def first_view(url: str) -> None:
    """In a fresh process (`--first-view URL`): create the app, sign in, time the first view of
    the page; prints milliseconds and the page's size in bytes."""
    from web import create_app

    app = create_app({"DATABASE_URL": url, "SESSION_COOKIE_SECURE": False,
                      "WTF_CSRF_ENABLED": False})  # fmt: skip
    client = app.test_client()
    signed = client.post("/login", data={"username": "analyst", "password": PASSWORD})
    assert signed.status_code == 302, signed.status_code
    started = time.perf_counter()
    response = client.get(PAGE)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    print(f"{elapsed * 1000:.1f} {len(response.data)}")


def fresh_views(url: str, times: int = 3) -> tuple[tuple[float, float], int]:
    found = []
    for _ in range(times):
        out = subprocess.run([sys.executable, "-m", "bench.results_page", "--first-view", url],
                             check=True, capture_output=True, text=True).stdout.split()  # fmt: skip
        found.append((float(out[-2]), int(out[-1])))
    times_ms = [ms for ms, _ in found]
    return (statistics.median(times_ms), max(times_ms)), found[-1][1]


def release(db: Database, respondents: int, sets: dict) -> float:
    """Store every wave's tables in every language as the clock does; ms per wave."""
    clock = Clock(db, load_questionnaires())
    started = time.perf_counter()
    if respondents <= FROM_MEMORY_ABOVE:
        stored = clock.release()
    else:

        def from_memory(_session, *, wave=None, **_kwargs):
            return list(sets.get(wave, []))

        with mock.patch("analysis.database.load_database", from_memory):
            stored = clock.release()
    assert stored == len(WAVES) * len(available_languages()), stored
    return (time.perf_counter() - started) * 1000 / len(WAVES)


def run(name: str, url: str, respondents: int, requests: int) -> None:
    from web import create_app

    upgrade(url)
    db = Database(url)
    started = time.perf_counter()
    answer_rows, sets = populate(db, respondents)
    setup = time.perf_counter() - started
    per_wave = release(db, respondents, sets)
    del sets
    how = "answers from memory" if respondents > FROM_MEMORY_ABOVE else "loaded from the database"
    figures = {f"release of a wave (5 languages, {how})": (per_wave, per_wave)}
    fresh, size = fresh_views(url)
    figures["first view, fresh process"] = fresh
    app = create_app({"DATABASE_URL": url, "SESSION_COOKIE_SECURE": False,
                      "WTF_CSRF_ENABLED": False})  # fmt: skip
    client = app.test_client()
    signed = client.post("/login", data={"username": "analyst", "password": PASSWORD})
    assert signed.status_code == 302, signed.status_code
    first = client.get(PAGE)  # warm-up: imports pandas and matplotlib
    charts = [unescape(src) for src in re.findall(r'<img src="([^"]+)"', first.text)]
    assert len(charts) == 5, charts
    client.get(charts[0])

    def forget() -> None:  # as in a process that has not read the release yet
        app.extensions.pop("cips-wave-results", None)

    figures["page, stored release"] = timed(lambda: client.get(PAGE), requests, before=forget)
    figures["page, again"] = timed(lambda: client.get(PAGE), requests)
    breakdown = re.search(r'href="([^"]+/breakdowns/officials/function)"', first.text).group(1)
    figures["statements by a breakdown"] = timed(lambda: client.get(breakdown), requests)
    charts = [unescape(src) for src in re.findall(r'<img src="([^"]+)"', client.get(PAGE).text)]
    drawn = []
    for source in charts:  # each drawn once at this version
        started = time.perf_counter()
        assert client.get(source).status_code == 200
        drawn.append(time.perf_counter() - started)
    figures["chart, first"] = (statistics.median(drawn) * 1000, max(drawn) * 1000)
    figures["chart, again"] = timed(lambda: client.get(charts[2]), requests)
    figures["workbook (XLSX)"] = timed(lambda: client.get(f"{PAGE}/results.xlsx"), 3)
    app.extensions["cips"].db.dispose()
    db.dispose()
    print(f"{name}: 2 waves x {respondents:,} respondents (half per questionnaire), "
          f"{answer_rows:,} answer rows (stored in {setup:.0f} s); page {size / 1024:.0f} KB")  # fmt: skip
    for label, (median, worst) in figures.items():
        print(f"  {label:<58} median {median:7.1f} ms   max {worst:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", default="1550,100000",
                        help="respondents in the wave shown, comma-separated sizes")  # fmt: skip
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--first-view", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("CIPS_SECRET_KEY", "bench-secret")
    if args.first_view:
        first_view(args.first_view)
        return
    print(f"{machine()}; {args.requests} requests each; load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}")  # fmt: skip
    for respondents in (int(n) for n in args.respondents.split(",")):
        for name, url in backends():
            run(name, url, respondents, args.requests)


if __name__ == "__main__":
    main()

"""Response times of the results page, its charts and its workbook on a realistic wave.

One administration with two waves of both questionnaires (officials and private sector), N
made-up respondents each (`analysis.synthetic`: DK/PNA, dropouts, skip logic), imported as
closed campaigns, so the second wave has scores, a perception gap and a trend. Requests go
through the whole Flask app (routing, sign-in check, SQL, analysis, template or drawing) with
its test client.

- release of a wave: what the clock does once after a close (`analysis.releases.store_missing`):
  load the wave and the earlier one, score every table with every breakdown, store them, in each
  of the five languages (both waves are stored here; the figure is per wave);
- page, stored release: a view in a process that has not read it yet (release version, reading
  and decoding the stored tables, template);
- page, again: a view of a release this process has read (release version, template);
- chart, first / again: a chart drawn for the first time at this version, then served again;
- workbook: the result tables as XLSX.

Run: `python -m bench.results_page [--respondents N] [--requests N]`; PostgreSQL is started from
the machine's binaries as tests/postgres_server.py does.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from html import unescape
from pathlib import Path

from analysis.importing import import_file
from analysis.interchange import write
from analysis.synthetic import generate_wave
from bench import backends, machine
from survey.campaigns import create_administration
from survey.i18n import available_languages
from survey.loader import load_questionnaires
from survey.storage import Database
from survey.storage.migrate import upgrade
from survey.storage.models import Role, User
from web.clock import Clock

PASSWORD = "bench password 123"
WAVES = (("2024", 0.0), ("2026", 0.3))
SURVEYS = (("cips-officials", 1), ("cips-private-sector", 2))


def populate(db: Database, respondents: int, folder: Path) -> int:
    """Two waves of both questionnaires, and an analyst; the number of answer rows."""
    from web.users import hash_password

    questionnaires = load_questionnaires()
    with db.transaction() as session:
        admin = create_administration(session, "BN", "Bench", "UTC", ["en", "fr", "ar"])
        session.add(User(username="analyst", password_hash=hash_password(PASSWORD),
                         role=Role.ANALYST, administration=admin))  # fmt: skip
    for wave, shift in WAVES:
        for questionnaire, seed in SURVEYS:
            frame = generate_wave(questionnaires[questionnaire], respondents, administration="BN",
                                  wave=wave, seed=seed + int(wave), shift=shift)  # fmt: skip
            path = write(frame, folder / f"{questionnaire}-{wave}.csv")
            with db.transaction() as session:
                import_file(session, path, questionnaires[questionnaire])
    with db.engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT COUNT(*) FROM sealed_answers").scalar_one()
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    return count


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


def run(name: str, url: str, respondents: int, requests: int) -> None:
    from web import create_app

    upgrade(url)
    db = Database(url)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        answer_rows = populate(db, respondents, Path(folder))
        setup = time.perf_counter() - started
    app = create_app({"DATABASE_URL": url, "SESSION_COOKIE_SECURE": False,
                      "WTF_CSRF_ENABLED": False})  # fmt: skip
    clock = Clock(db, load_questionnaires())
    started = time.perf_counter()
    stored = clock.release()
    assert stored == len(WAVES) * len(available_languages()), stored
    per_wave = (time.perf_counter() - started) * 1000 / len(WAVES)
    figures = {"release of a wave (5 languages)": (per_wave, per_wave)}
    client = app.test_client()
    signed = client.post("/login", data={"username": "analyst", "password": PASSWORD})
    assert signed.status_code == 302, signed.status_code
    page = "/results/BN/2026"
    first = client.get(page)  # warm-up: imports pandas and matplotlib
    charts = [unescape(src) for src in re.findall(r'<img src="([^"]+)"', first.text)]
    assert len(charts) == 5, charts
    client.get(charts[0])

    def forget() -> None:  # as in a process that has not read the release yet
        app.extensions.pop("cips-wave-results", None)

    figures["page, stored release"] = timed(lambda: client.get(page), requests, before=forget)
    figures["page, again"] = timed(lambda: client.get(page), requests)
    charts = [unescape(src) for src in re.findall(r'<img src="([^"]+)"', client.get(page).text)]
    drawn = []
    for source in charts:  # each drawn once at this version
        started = time.perf_counter()
        assert client.get(source).status_code == 200
        drawn.append(time.perf_counter() - started)
    figures["chart, first"] = (statistics.median(drawn) * 1000, max(drawn) * 1000)
    figures["chart, again"] = timed(lambda: client.get(charts[2]), requests)
    figures["workbook (XLSX)"] = timed(lambda: client.get(f"{page}/results.xlsx"), 3)
    app.extensions["cips"].db.dispose()
    db.dispose()
    print(f"{name}: 2 waves x 2 questionnaires x {respondents:,} respondents, {answer_rows:,} "
          f"answer rows (set up in {setup:.0f} s)")  # fmt: skip
    for label, (median, worst) in figures.items():
        print(f"  {label:<32} median {median:7.1f} ms   max {worst:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("CIPS_SECRET_KEY", "bench-secret")
    print(f"{machine()}; {args.requests} requests each")
    for name, url in backends():
        run(name, url, args.respondents, args.requests)


if __name__ == "__main__":
    main()

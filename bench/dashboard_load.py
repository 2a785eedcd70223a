"""Response times of a campaign's dashboard page and its JSON API with 100,000 respondents, as a
browser sees them: 8 clients at once against a real HTTP server.

The respondents are bulk-inserted into one campaign of the officials questionnaire: 60% completed,
28% in progress at a question drawn along the questionnaire, 12% withdrawn with their answers up
to where they stopped, over 5 languages, 5 channels and 30 days. The database's triggers fill the
dashboard's counters as the rows go in, as they do for every answer (on PostgreSQL, where 100,000
trigger calls take minutes, the triggers are off for the bulk insert and the counters are filled
once after it, as migration 0008 does). Completed respondents
get no answer rows (the dashboard never reads them).

The app runs in a process of its own behind werkzeug's threaded HTTP server (what `cips web` and
`cips run` serve with), then behind gunicorn as the Procfile runs it (3 sync workers); 8
client threads (`--clients`) each send `--requests` requests over a kept-alive connection, first
to the page (signed in), then to the API (token), after a warm-up. Printed: median, p95 and
maximum per backend, with the machine and its load average (other work on the machine shows).

Run: `python -m bench.dashboard_load [--respondents N] [--clients N] [--requests N]`; PostgreSQL
is started from the machine's binaries as tests/postgres_server.py does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import multiprocessing
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

from sqlalchemy import insert, inspect, select

from bench import backends, machine
from survey.campaign_editing import add_source
from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.migrate import upgrade
from survey.storage.models import Answer, Campaign, Respondent, Role, User, random_id

LANGUAGES = ["en", "fr", "es", "ar", "pt"]
SOURCES = [None, "port", "brokers", "airport", "online"]
PASSWORD = "bench password 123"
BATCH = 5000


def populate(db: Database, respondents: int, keep_positions: bool = False) -> tuple[str, str, int]:
    """The campaign and a coordinator with an API token: (campaign code, token, answer rows)."""
    from web.users import create_token, hash_password

    questionnaire = load_questionnaires()["cips-officials"]
    questions = [q.id for q in questionnaire.questions]
    with db.transaction() as session:
        admin = create_administration(session, "BN", "Bench", "UTC", LANGUAGES)
        campaign = create_campaign(session, admin, questionnaire, "1", code="bench",
                                   target=250_000)  # fmt: skip
        campaign.target_margin = 1.0
        for tag in SOURCES[1:]:
            add_source(session, campaign, tag, tag.title())
        user = User(username="coordinator", password_hash=hash_password(PASSWORD),
                    role=Role.COORDINATOR, administration=admin)  # fmt: skip
        session.add(user)
        session.flush()
        token = create_token(session, user, "bench")
        campaign_id = campaign.id
    rng = random.Random(7)
    first_day = dt.date(2026, 11, 1)
    rows, answers = [], []
    for _ in range(respondents):
        started = first_day + dt.timedelta(days=rng.randrange(30))
        draw = rng.random()
        row = {"id": random_id(), "campaign_id": campaign_id, "language": rng.choice(LANGUAGES),
               "source_tag": rng.choice(SOURCES), "started_on": started, "updated_on": started,
               "position": None, "completed_on": None, "draft": None}  # fmt: skip
        if draw < 0.60:
            row |= {
                "status": "completed",
                "completed_on": started + dt.timedelta(days=rng.randrange(3)),
            }
        elif draw < 0.88:
            row |= {
                "status": "in_progress",
                "position": questions[int(rng.betavariate(1, 3) * len(questions))],
            }
        else:
            reached = int(rng.betavariate(1, 2) * len(questions))
            row |= {
                "status": "withdrawn",
                "position": questions[reached] if keep_positions else None,
            }
            answers += [{"respondent_id": row["id"], "question_id": q, "value": "3"}
                        for q in questions[:reached]]  # fmt: skip
        rows.append(row)
    with db.engine.begin() as connection:
        # (the counters exist from migration 0008 on; the figures before it were measured
        # with this same script on the code of the time)
        postgresql = db.dialect == "postgresql" and inspect(connection).has_table("left_off_counts")
        if postgresql:  # the row triggers (plpgsql) would take minutes: counted at once below
            connection.exec_driver_sql("ALTER TABLE respondents DISABLE TRIGGER USER")
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(Respondent), rows[start : start + BATCH])
        for start in range(0, len(answers), BATCH):
            connection.execute(insert(Answer), answers[start : start + BATCH])
        if postgresql:  # as migration 0008 fills the counters of an existing database
            connection.exec_driver_sql("ALTER TABLE respondents ENABLE TRIGGER USER")
            connection.exec_driver_sql(
                "INSERT INTO participation_counts (campaign_id, sealed, status, language, "
                "source_tag, n) SELECT campaign_id, 0, status, language, coalesce(source_tag, ''), "
                "count(*) FROM respondents GROUP BY 1, 2, 3, 4, 5"
            )
            connection.exec_driver_sql(
                "INSERT INTO left_off_counts (campaign_id, position, n) SELECT campaign_id, "
                "coalesce(position, ''), count(*) FROM respondents WHERE status <> 'completed' "
                "GROUP BY 1, 2"
            )
    if db.dialect == "postgresql":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    return "bench", token, len(answers)


def serve(url: str, port: int) -> None:
    """The app behind werkzeug's threaded server, as `cips web` runs it (a process of its own)."""
    import logging

    from werkzeug.serving import make_server

    from web import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    make_server("127.0.0.1", port, create_app({"DATABASE_URL": url}), threaded=True).serve_forever()


def start_server(kind: str, url: str, port: int):
    """werkzeug (threaded, one process) or gunicorn as the Procfile runs it (3 workers)."""
    environment = os.environ | {"DATABASE_URL": url, "CIPS_WEB_INSECURE_COOKIES": "1"}
    if kind == "gunicorn":
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:cips.gunicorn_conf",
             "--workers", "3", "--bind", f"127.0.0.1:{port}", "web:create_app()"],
            env=environment, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    os.environ["CIPS_WEB_INSECURE_COOKIES"] = "1"
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(url, port))
    server.start()
    return server


def stop_server(server) -> None:
    server.terminate()
    if isinstance(server, subprocess.Popen):
        server.wait()
    else:
        server.join()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def sign_in(port: int) -> str:
    """The coordinator's session cookie, signed in through the form (with its CSRF token)."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/login")
    response = connection.getresponse()
    form = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode(
        {"username": "coordinator", "password": PASSWORD, "csrf_token": token}
    )
    connection.request("POST", "/login", body, {"Cookie": cookie,
                       "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    response = connection.getresponse()
    response.read()
    assert response.status == 302, response.status
    connection.close()
    # The session's cookie (sign-in also sets the browser's device cookie).
    cookies = [c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie")]
    return next(c for c in cookies if c.startswith("cips_session="))


def load(port: int, path: str, headers: dict, clients: int, requests: int) -> list[float]:
    """`clients` threads at once, each `requests` GETs of `path` (after 2 of warm-up): seconds."""
    times: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        for number in range(requests + 2):
            if number == 2:
                start.wait()
            began = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)
            if number >= 2:
                mine.append(time.perf_counter() - began)
        connection.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def figures(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = statistics.quantiles(ms, n=20)[18]
    return f"median {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"


def run(name: str, url: str, respondents: int, clients: int, requests: int,
        keep_positions: bool, servers: list[str]) -> None:  # fmt: skip
    upgrade(url)
    db = Database(url)
    started = time.perf_counter()
    code, token, answer_rows = populate(db, respondents, keep_positions)
    setup = time.perf_counter() - started
    with db.transaction() as session:
        assert session.scalar(select(Campaign.code)) == code
    db.dispose()
    print(f"{name:<11} {respondents:,} respondents, {answer_rows:,} answer rows (set up in "
          f"{setup:.0f} s)")  # fmt: skip
    for kind in servers:
        port = free_port()
        server = start_server(kind, url, port)
        try:
            wait_for(port)
            cookie = sign_in(port)
            page = load(port, f"/campaigns/{code}/dashboard", {"Cookie": cookie}, clients,
                        requests)  # fmt: skip
            api = load(port, f"/api/v1/campaigns/{code}/dashboard",
                       {"Authorization": f"Bearer {token}"}, clients, requests)  # fmt: skip
        finally:
            stop_server(server)
        print(f"  {kind:<9} page {figures(page)}\n            API  {figures(api)}  (load "
              f"average {os.getloadavg()[0]:.1f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=25, help="per client")
    parser.add_argument("--servers", default="werkzeug,gunicorn",
                        help="werkzeug (cips web, one threaded process), gunicorn (the "
                        "Procfile: 3 workers), or both")  # fmt: skip
    parser.add_argument(
        "--keep-positions", action="store_true",
        help="withdrawn respondents keep the question they stopped at (else: cleared, as the "
        "engine does today, and the funnel reads their answers)",
    )  # fmt: skip
    args = parser.parse_args()
    os.environ.setdefault("CIPS_SECRET_KEY", "bench-secret")
    os.environ.setdefault("CIPS_REQUIRE_2FA", "off")  # the bench's admin has no authenticator
    print(f"{machine()}; {args.clients} clients at once, {args.requests} requests each; "
          f"positions of withdrawn respondents "
          f"{'kept' if args.keep_positions else 'cleared'}; load average before "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    for name, url in backends():
        run(
            name,
            url,
            args.respondents,
            args.clients,
            args.requests,
            args.keep_positions,
            args.servers.split(","),
        )


if __name__ == "__main__":
    main()

"""Response times of a campaign's dashboard page and its JSON API with 100,000 respondents.

The respondents are bulk-inserted into one campaign of the officials questionnaire: 60% completed,
28% in progress at a question drawn along the questionnaire, 12% withdrawn with their answers up
to where they stopped, over 5 languages, 5 channels and 30 days.
Completed respondents get no answer rows (the dashboard never reads them; the answers table's
size only deepens its primary-key index). Requests go through the whole Flask app (routing,
sign-in or token check, SQL, template or JSON) with its test client, after a warm-up.

Run: `python -m bench.dashboard_load [--respondents N] [--requests N]`; PostgreSQL is started
from the machine's binaries as tests/postgres_server.py does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time

from sqlalchemy import insert, select

from bench import backends, machine
from survey.campaign_editing import add_source
from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.storage import Database
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
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(Respondent), rows[start : start + BATCH])
        for start in range(0, len(answers), BATCH):
            connection.execute(insert(Answer), answers[start : start + BATCH])
    if db.dialect == "postgresql":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    return "bench", token, len(answers)


def timed(call, requests: int) -> tuple[float, float]:
    for _ in range(3):
        call()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times) * 1000, statistics.quantiles(times, n=20)[18] * 1000


def run(name: str, url: str, respondents: int, requests: int, keep_positions: bool) -> None:
    from web import create_app

    upgrade(url)
    db = Database(url)
    started = time.perf_counter()
    code, token, answer_rows = populate(db, respondents, keep_positions)
    setup = time.perf_counter() - started
    with db.transaction() as session:
        assert session.scalar(select(Campaign.code)) == code
    db.dispose()
    app = create_app({"DATABASE_URL": url, "SESSION_COOKIE_SECURE": False,
                      "WTF_CSRF_ENABLED": False})  # fmt: skip
    client = app.test_client()
    signed = client.post("/login", data={"username": "coordinator", "password": PASSWORD})
    assert signed.status_code == 302, signed.status_code
    page = timed(lambda: client.get(f"/campaigns/{code}/dashboard"), requests)
    api_client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    api = timed(
        lambda: api_client.get(f"/api/v1/campaigns/{code}/dashboard", headers=headers), requests
    )
    app.extensions["cips"].db.dispose()
    print(f"{name:<11} {respondents:,} respondents, {answer_rows:,} answer rows (set up in "
          f"{setup:.0f} s)\n            page  median {page[0]:6.1f} ms  p95 {page[1]:6.1f} ms\n"
          f"            API   median {api[0]:6.1f} ms  p95 {api[1]:6.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument(
        "--keep-positions", action="store_true",
        help="withdrawn respondents keep the question they stopped at (else: cleared, as the "
        "engine does today, and the funnel reads their answers)",
    )  # fmt: skip
    args = parser.parse_args()
    os.environ.setdefault("CIPS_SECRET_KEY", "bench-secret")
    print(f"{machine()}; {args.requests} requests each; positions of withdrawn respondents "
          f"{'kept' if args.keep_positions else 'cleared'}")  # fmt: skip
    for name, url in backends():
        run(name, url, args.respondents, args.requests, args.keep_positions)


if __name__ == "__main__":
    main()

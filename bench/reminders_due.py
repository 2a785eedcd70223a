"""Finding the due reminders among many contacts: the clock's query against an indexed floor.

    python -m bench.reminders_due --contacts 1000000 [--database-url URL]

Fills the contacts table (bulk insert; 1% due now, the rest planned over the next days or
finished), then times the clock's query (`survey.reminders.due_contacts`, a batch of 500
locked rows) beside an indexed count of the same rows (`COUNT(*) WHERE next_reminder_at <= now`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from survey.campaigns import create_administration, create_campaign
from survey.loader import load_questionnaires
from survey.reminders import due_contacts
from survey.storage.db import Database
from survey.storage.migrate import upgrade
from survey.storage.models import Contact

CHUNK = 20_000


def fill(db: Database, contacts: int, now: dt.datetime) -> int:
    with db.transaction() as session:
        admin = create_administration(session, "BEN", "Bench", "UTC", ["en"])
        campaign = create_campaign(session, admin, load_questionnaires()["cips-officials"], "b")
        campaign_id = campaign.id
    due = 0
    for start in range(0, contacts, CHUNK):
        rows = []
        for i in range(start, min(start + CHUNK, contacts)):
            if i % 100 == 0:
                when = now - dt.timedelta(minutes=i % 600)
                due += 1
            elif i % 3 == 0:
                when = None  # not consented yet, or no reminder left
            else:
                when = now + dt.timedelta(minutes=1 + i % 5000)
            rows.append({"id": f"{i:032x}", "campaign_id": campaign_id, "channel": "telegram",
                         "user_hash": f"{i:064x}", "chat_secret": "x", "stage": "answering",
                         "language": "en", "last_progress_at": now, "next_reminder_at": when,
                         "reminders_sent": 0, "unreachable": False})  # fmt: skip
        with db.transaction() as session:
            session.execute(insert(Contact), rows)
    return due


def timed(run, repeat: int = 15) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    upgrade(url)
    db = Database(url)
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    due = fill(db, args.contacts, now)
    print(
        f"filled {args.contacts:,} contacts ({due:,} due) in {time.perf_counter() - started:.0f} s"
    )

    def clock_query() -> None:
        with db.transaction() as session:
            assert len(due_contacts(session, now, 500)) == min(500, due)

    def floor() -> None:
        with db.transaction() as session:
            session.scalar(
                select(func.count()).select_from(Contact).where(Contact.next_reminder_at <= now)
            )

    for name, run in (
        ("indexed count (floor)", floor),
        ("due_contacts, batch of 500", clock_query),
    ):
        median, p90 = timed(run)
        print(f"  {name:<28} median {median * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms")
    db.dispose()


if __name__ == "__main__":
    main()

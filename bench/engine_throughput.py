"""Answers per second through the conversation engine, each with a durable commit.

Printed beside the floor: the bare cost of one INSERT + COMMIT of a row on the same database in
the same run. Run: `python -m bench.engine_throughput [--answers N]` (PostgreSQL is started from
the machine's binaries, with fsync on, as tests/postgres_server.py does).

SQLite runs as the product runs it (synchronous=FULL: each commit waits for the disk). A second
SQLite line with synchronous=NORMAL, where a commit costs no disk flush, shows the engine's own
overhead without the flush that dominates both sides of the durable ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert

from bench import backends, machine
from survey.campaigns import create_administration, create_campaign
from survey.engine import ConversationEngine, ReplyKind, Sender
from survey.engine.inputs import event_for_button, event_for_command
from survey.loader import load_questionnaires
from survey.storage.db import Database
from survey.storage.migrate import upgrade

SECRET = "bench-secret"


def floor_per_second(db: Database, rows: int) -> float:
    """INSERT one row and COMMIT, `rows` times."""
    table = Table("bench_floor", MetaData(), Column("id", Integer, primary_key=True),
                  Column("value", String(32)))  # fmt: skip
    table.create(db.engine, checkfirst=True)
    started = time.perf_counter()
    for number in range(rows):
        with db.engine.begin() as connection:
            connection.execute(insert(table).values(value=f"v{number}"))
    return rows / (time.perf_counter() - started)


def engine_per_second(db: Database, answers: int) -> tuple[float, list[float]]:
    """Respondents pressing agreement buttons; every answer is one engine call, one commit."""
    questionnaires = load_questionnaires()
    with db.transaction() as session:
        admin = create_administration(session, "BN", "Bench", "UTC", ["en"])
        create_campaign(session, admin, questionnaires["cips-officials"], "1", code="bench")
    engine = ConversationEngine(db, questionnaires, SECRET, languages=lambda: ["en"])
    latencies: list[float] = []
    done = 0
    person = 0
    elapsed = 0.0
    while done < answers:
        person += 1
        sender = Sender("bench", str(person), str(person))
        replies = engine.handle(event_for_command(sender, "start", "bench"))
        replies = engine.handle(event_for_button(sender, replies[-1].buttons[0]))  # consent
        while done < answers:
            prompt = replies[-1]
            if prompt.kind is not ReplyKind.QUESTION or not prompt.buttons:
                break
            event = event_for_button(sender, prompt.buttons[min(3, len(prompt.buttons) - 1)])
            started = time.perf_counter()
            replies = engine.handle(event)
            took = time.perf_counter() - started
            latencies.append(took)
            elapsed += took
            done += 1
    return done / elapsed, latencies


def run(name: str, url: str, answers: int, *, flush: bool = True) -> None:
    upgrade(url)
    db = Database(url)
    if not flush:
        event.listen(db.engine, "connect", _without_flush)
    floor = floor_per_second(db, answers)
    rate, latencies = engine_per_second(db, answers)
    db.dispose()
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(f"{name:<28} floor (INSERT+COMMIT) {floor:8.0f}/s   engine {rate:8.0f} answers/s   "
          f"ratio {floor / rate:4.2f}x   p50 {p50:.2f} ms  p99 {p99:.2f} ms")  # fmt: skip


def _without_flush(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=3000)
    args = parser.parse_args()
    print(f"{machine()}; {args.answers} answers per backend")
    for name, url in backends(durable=True):
        run(name, url, args.answers)
        if name == "SQLite":
            run("SQLite (synchronous=NORMAL)", url.removesuffix(".db") + "-normal.db",
                args.answers, flush=False)  # fmt: skip


if __name__ == "__main__":
    main()

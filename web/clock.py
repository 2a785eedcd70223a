"""The clock: APScheduler jobs for reminders, campaign closing and purges (`cips clock`).

A close it makes is recorded in the audit log (actor `clock`), and the hourly purge trims the
log to its retention (`survey.audit`).

The jobs only read and write the database; the bot's sender delivers what they put in the
outbox. Their schedule is not state: every run asks the database what is due, so a restart
loses nothing and repeats nothing, and two clocks running at once share the due reminders
(locked rows are skipped) instead of sending them twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select

from survey import audit, liveness, sealing
from survey.config import DEFAULT_MIN_CELL
from survey.housekeeping import close_due_campaigns, purge
from survey.i18n import available_languages
from survey.questionnaire import Questionnaire
from survey.reminders import send_due
from survey.storage.db import Database
from survey.storage.models import Administration, Campaign, utcnow

log = logging.getLogger(__name__)

REMINDER_BATCH = 500


class Clock:
    def __init__(
        self,
        db: Database,
        questionnaires: dict[str, Questionnaire],
        clock: Callable[[], dt.datetime] = utcnow,
        heartbeat: Path | None = None,
        min_cell: int = DEFAULT_MIN_CELL,
    ):
        self.db = db
        self.min_cell = min_cell
        self.closed_seen: set[int] = set()  # campaigns seen closed (their close was wiped)
        self.wipe_again = True  # at the first run, for closes made while no clock ran
        self.questionnaires = questionnaires
        self.unscorable: set[tuple[str, str, str]] = set()  # releases tried once, not scorable
        self.clock = clock
        self.heartbeat = heartbeat

    def send_reminders(self) -> int:
        """Every due reminder, in batches (each its own transaction)."""
        total = 0
        while True:
            with self.db.transaction() as session:
                sent = send_due(session, self.questionnaires, self.clock(), REMINDER_BATCH)
            total += sent
            if sent < REMINDER_BATCH:
                break
        if total:
            log.info("reminders queued: %d", total)
        self._beat()
        return total

    def close_campaigns(self) -> list[str]:
        with self.db.transaction() as session:
            now = self.clock()
            closed = close_due_campaigns(session, now, self.min_cell)
            if closed:  # recorded with the close, in its transaction
                rows = session.execute(
                    select(Campaign.code, Administration.code)
                    .join(Administration, Campaign.administration_id == Administration.id)
                    .where(Campaign.code.in_(closed))
                ).all()
                for code, administration in sorted(rows):
                    audit.record(session, audit.RELEASE, actor="clock", campaign=code,
                                 administration=administration, now=now,
                                 detail="closing time reached; final release made")  # fmt: skip
        for code in closed:
            log.info("campaign %s closed; its contact records are erased", code)
        if closed:
            sealing.wipe(self.db, resealed=True)
        return closed

    def seal(self) -> int:
        """Seal every campaign's finished responses that have reached a batch of k; wipe what
        sealing or a close (here, or by `cips campaign close` or the web) deleted, and wipe
        again at the next run: a wipe cannot remove rows that a transaction running at that
        moment may still see (PostgreSQL keeps them until no snapshot needs them)."""
        with self.db.transaction() as session:
            closed = set(
                session.scalars(select(Campaign.id).where(Campaign.closed_at.is_not(None)))
            )
        sealed = sealing.seal_ready(self.db, self.min_cell, and_wipe=False)
        changed = bool(sealed) or closed != self.closed_seen
        if changed or self.wipe_again:
            sealing.wipe(self.db, resealed=closed != self.closed_seen)
            log.info("pre-seal tables wiped")
        self.wipe_again, self.closed_seen = changed, closed
        return sealed

    def release(self) -> int:
        """Store the result tables of every release that has none yet, in every language (after
        a close here, by `cips campaign close` or the web, or an import), so that pages read
        them instead of computing them."""
        from analysis.releases import store_missing

        with self.db.reads() as session:  # it writes each release in a transaction of its own
            stored = store_missing(session, self.min_cell, self.questionnaires,
                                   available_languages(), self.unscorable)  # fmt: skip
        if stored:
            log.info("release tables stored: %d", stored)
        return stored

    def purge(self) -> dict[str, int]:
        with self.db.transaction() as session:
            now = self.clock()
            purged = purge(session, now)
            # The audit log keeps CIPS_AUDIT_RETENTION_DAYS (survey.audit.trim).
            retention = dt.timedelta(days=audit.retention_days())
            purged["audit_entries"] = audit.trim(session, retention, actor="clock", now=now)
        if any(purged.values()):
            log.info("purged %s", purged)
        return purged

    def _beat(self) -> None:
        if self.heartbeat is not None:
            liveness.beat(self.heartbeat)

    def schedule(self, scheduler: BaseScheduler, every_s: float = 30) -> BaseScheduler:
        """The jobs on `scheduler`: reminders, sealing and releases every `every_s`, closing
        every minute,
        purges hourly. Missed runs are coalesced into one; a job never overlaps itself."""
        options = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        scheduler.add_job(self.send_reminders, "interval", seconds=every_s, id="reminders",
                          next_run_time=dt.datetime.now(dt.UTC), **options)  # fmt: skip
        scheduler.add_job(self.close_campaigns, "interval", seconds=min(60, every_s),
                          id="campaigns", next_run_time=dt.datetime.now(dt.UTC), **options)  # fmt: skip
        scheduler.add_job(self.seal, "interval", seconds=every_s, id="seal",
                          next_run_time=dt.datetime.now(dt.UTC), **options)  # fmt: skip
        scheduler.add_job(self.release, "interval", seconds=every_s, id="release",
                          next_run_time=dt.datetime.now(dt.UTC), **options)  # fmt: skip
        scheduler.add_job(self.purge, "interval", hours=1, id="purge",
                          next_run_time=dt.datetime.now(dt.UTC), **options)  # fmt: skip
        return scheduler


def run_blocking(clock: Clock, every_s: float) -> None:
    """`cips clock`: until SIGTERM / Ctrl-C."""
    scheduler = clock.schedule(BlockingScheduler(timezone=dt.UTC), every_s)
    # Jobs are transactions: stopping between two is always safe; SIGTERM ends like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


def start_background(clock: Clock, every_s: float) -> BackgroundScheduler:
    """The jobs in a background thread (`cips run`, one process)."""
    scheduler = clock.schedule(BackgroundScheduler(timezone=dt.UTC), every_s)
    scheduler.start()
    return scheduler

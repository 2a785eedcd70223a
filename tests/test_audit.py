"""The audit log's chain (survey.audit), on SQLite and PostgreSQL: it verifies when intact and
names the entry where an insider's edit, deletion or reordering (raw SQL, as someone holding
the database would) breaks it; trimming keeps it verifiable; concurrent appends keep one chain."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from survey import audit
from survey.storage.db import Database
from survey.storage.models import AuditEntry

NOW = dt.datetime.now(dt.UTC)


def fill(db, count: int, start: dt.datetime = NOW, step: dt.timedelta = dt.timedelta(0)) -> None:
    for i in range(count):
        with db.transaction() as session:
            audit.record(session, audit.DOWNLOAD, actor=f"user{i}", administration="CI",
                         campaign="CI-2026", format="csv", detail=f"file {i} — é = ✓",
                         now=start + i * step)  # fmt: skip


def check(db) -> tuple[int, audit.Broken | None]:
    with db.transaction() as session:
        return audit.verify(session)


def insider(db, *statements: str) -> None:
    """Someone with the database's password, changing rows behind the application's back."""
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_an_intact_chain_verifies_and_each_entry_links_to_the_one_before(db):
    fill(db, 5)
    assert check(db) == (5, None)
    with db.transaction() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
        assert rows[0].prev_hash == audit.GENESIS
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
        assert audit.head(session) == (5, rows[-1].hash)
        assert rows[2].detail == "file 2 — é = ✓" and rows[2].at.tzinfo is not None


@pytest.mark.parametrize("column, value", [("detail", "'file 9'"), ("actor", "'someone-else'"),
                                           ("at", "at")])  # fmt: skip
def test_an_edited_entry_is_named(db, column, value):
    fill(db, 5)
    if column == "at":  # the time moved back an hour, whatever the backend's arithmetic
        with db.transaction() as session:
            row = session.get(AuditEntry, 3)
            moved = (row.at - dt.timedelta(hours=1)).replace(tzinfo=None)
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE audit_entries SET at = :at WHERE seq = 3"),
                               {"at": moved})  # fmt: skip
    else:
        insider(db, f"UPDATE audit_entries SET {column} = {value} WHERE seq = 3")
    checked, broken = check(db)
    assert (checked, broken.seq) == (2, 3) and "edited" in broken.reason
    assert "entry 3" in str(broken)


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(db):
    fill(db, 5)
    with db.transaction() as session:
        row = session.get(AuditEntry, 3)
        row.detail = "nothing to see"
        forged = audit.entry_hash(row)
    insider(db, f"UPDATE audit_entries SET hash = '{forged}' WHERE seq = 3")
    checked, broken = check(db)
    assert (checked, broken.seq) == (3, 4) and "does not link" in broken.reason


def test_a_deleted_middle_entry_is_named(db):
    fill(db, 5)
    insider(db, "DELETE FROM audit_entries WHERE seq = 3")
    checked, broken = check(db)
    assert (checked, broken.seq) == (2, 4) and "missing" in broken.reason


def test_a_deleted_middle_entry_with_the_rest_renumbered_is_named(db):
    fill(db, 5)
    insider(db, "DELETE FROM audit_entries WHERE seq = 3",
            "UPDATE audit_entries SET seq = seq + 100 WHERE seq > 3",
            "UPDATE audit_entries SET seq = seq - 101 WHERE seq > 100")  # fmt: skip
    checked, broken = check(db)
    assert (checked, broken.seq) == (2, 3)


def test_reordered_entries_are_named(db):
    fill(db, 5)
    insider(db, "UPDATE audit_entries SET seq = 100 WHERE seq = 2",
            "UPDATE audit_entries SET seq = 2 WHERE seq = 3",
            "UPDATE audit_entries SET seq = 3 WHERE seq = 100")  # fmt: skip
    checked, broken = check(db)
    assert (checked, broken.seq) == (1, 2)


def test_deleted_latest_entries_show(db):
    fill(db, 5)
    insider(db, "DELETE FROM audit_entries WHERE seq >= 4")
    checked, broken = check(db)
    assert checked == 3 and broken.seq is None and "latest entries" in broken.reason


def test_deleted_oldest_entries_show(db):
    fill(db, 5)
    insider(db, "DELETE FROM audit_entries WHERE seq <= 2")
    checked, broken = check(db)
    assert (checked, broken.seq) == (0, 3)


def test_trimming_keeps_the_chain_verifiable_from_the_first_kept_entry(db):
    old = NOW - dt.timedelta(days=800)
    fill(db, 4, start=old, step=dt.timedelta(days=1))  # 800 to 797 days ago
    fill(db, 3, start=NOW - dt.timedelta(days=10), step=dt.timedelta(days=1))
    with db.transaction() as session:
        deleted = audit.trim(session, dt.timedelta(days=730), actor="clock", now=NOW)
    assert deleted == 4
    checked, broken = check(db)
    assert (checked, broken) == (4, None)  # three kept and the trim's own entry
    with db.transaction() as session:
        kept = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [r.seq for r in kept] == [5, 6, 7, 8]
        assert kept[-1].action == audit.TRIM and "4 entries" in kept[-1].detail
        assert audit.trim(session, dt.timedelta(days=730), actor="clock", now=NOW) == 0
    # The anchor still catches the first kept entry's deletion.
    insider(db, "DELETE FROM audit_entries WHERE seq = 5")
    assert check(db)[1].seq == 6
    fill(db, 1)


def test_trimming_everything_keeps_the_trims_record_chained(db):
    fill(db, 3, start=NOW - dt.timedelta(days=900))
    with db.transaction() as session:
        assert audit.trim(session, dt.timedelta(days=730), actor="clock", now=NOW) == 3
    fill(db, 2)
    assert check(db) == (3, None)


def test_concurrent_appends_keep_one_chain(database_url):
    """Four workers (each its own engine, like gunicorn's) append at once: one chain, no gap,
    no fork, nothing lost."""
    workers, each = 4, 25
    engines = [Database(database_url) for _ in range(workers)]
    barrier = threading.Barrier(workers)

    def work(index: int) -> None:
        db = engines[index]
        barrier.wait()
        for i in range(each):
            with db.transaction() as session:
                audit.record(session, audit.SIGNIN, actor=f"w{index}", detail=str(i))

    try:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(work, range(workers)))
        checked, broken = check(engines[0])
        assert (checked, broken) == (workers * each, None)
        with engines[0].transaction() as session:
            count = session.scalar(select(func.count(AuditEntry.seq)))
            hashes = session.scalars(select(AuditEntry.prev_hash)).all()
        assert count == workers * each and len(set(hashes)) == count  # no two share a parent
    finally:
        for engine in engines:
            engine.dispose()


def test_entries_filter_by_date_account_and_action(db):
    fill(db, 2, start=NOW - dt.timedelta(days=3))
    with db.transaction() as session:
        audit.record(session, "campaign.close", actor="ana", campaign="X")
        audit.record(session, "campaign.edit", actor="ana", campaign="X")
        audit.record(session, "campaigner", actor="bob")
        since = audit.Filter(since=NOW - dt.timedelta(days=1))
        assert [e.action for e in audit.entries(session, since)] == [
            "campaigner", "campaign.edit", "campaign.close"]  # fmt: skip
        by_action = audit.entries(session, audit.Filter(action="campaign"))
        assert [e.action for e in by_action] == ["campaign.edit", "campaign.close"]
        assert [e.actor for e in audit.entries(session, audit.Filter(actor="user1"))] == ["user1"]


def test_the_log_has_no_column_for_a_respondent():
    columns = {c.name for c in AuditEntry.__table__.columns}
    assert columns == {"seq", "at", "actor", "action", "administration", "campaign", "format",
                       "address", "detail", "prev_hash", "hash"}  # fmt: skip
    assert not AuditEntry.__table__.foreign_keys  # linked to nothing, kept after deletions

"""Migration 0014 keeps the API tokens made before it working, as what they could do: read-only,
scoped to their user's administration (an admin's: every one), expiring 90 days after it runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text

from survey.storage.db import Database
from survey.storage.migrate import upgrade
from survey.storage.models import ApiToken


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_database(request, tmp_path: Path):
    """A database at revision 0013, as deployments have it before scoped tokens."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("empty_postgres_url")
    upgrade(url, "0013_audit_log")
    return url


def test_tokens_from_before_become_read_only_scoped_and_expiring(old_database):
    db = Database(old_database)
    now = dt.datetime.now(dt.UTC)
    stamp = now.replace(tzinfo=None) if db.dialect == "sqlite" else now
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO administrations (id, code, name, timezone, languages, created_at) "
            "VALUES (1, 'CI', 'Douanes', 'UTC', 'en', :t)"), {"t": stamp})  # fmt: skip
        for user_id, role, administration in ((1, "analyst", 1), (2, "admin", None)):
            connection.execute(text(
                "INSERT INTO users (id, username, password_hash, role, administration_id, active, "
                "created_at) VALUES (:id, :name, 'h', :role, :a, true, :t)"),
                {"id": user_id, "name": f"u{user_id}", "role": role, "a": administration,
                 "t": stamp})  # fmt: skip
            connection.execute(text(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at) "
                "VALUES (:u, :h, 'script', :t)"), {"u": user_id, "h": str(user_id) * 64,
                                                   "t": stamp})  # fmt: skip
    upgrade(old_database)
    with db.transaction() as session:
        rows = session.scalars(select(ApiToken).order_by(ApiToken.user_id)).all()
        assert [(r.administration_id, r.read_only) for r in rows] == [(1, True), (None, True)]
        for row in rows:
            left = row.expires_at - now
            assert dt.timedelta(days=90) - left < dt.timedelta(minutes=1)
    db.dispose()

"""Health checks: the web's `/healthz` (SQLite and PostgreSQL) and `cips health`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from werkzeug.serving import make_server

from cips.cli import context
from survey import liveness
from survey.storage.db import Database
from survey.storage.migrate import alembic_config, head_revision, upgrade
from survey.storage.models import Outbox, utcnow
from tests.cli_support import run_cips
from tests.postgres_server import free_port
from web import create_app


def _healthz(url: str):
    app = create_app({"DATABASE_URL": url})
    try:
        response = app.test_client().get("/healthz")
        return response.status_code, response.get_json(), response.headers
    finally:
        app.extensions["cips"].db.dispose()


def test_healthz_is_ok_on_an_up_to_date_database(database_url):
    status, body, headers = _healthz(database_url)
    assert (status, body) == (200, {"status": "ok"})
    assert headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers  # no session for probes


def test_healthz_refuses_a_database_behind_the_migrations(database_url, caplog):
    command.downgrade(alembic_config(database_url), "-1")
    status, body, _ = _healthz(database_url)
    assert (status, body) == (503, {"status": "unavailable", "reason": "migrations"})
    assert "not at the migrations' head" in caplog.text


def test_healthz_refuses_a_new_database_without_tables(tmp_path):
    status, body, _ = _healthz(f"sqlite:///{tmp_path / 'new.db'}")
    assert (status, body) == (503, {"status": "unavailable", "reason": "migrations"})


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-folder/secret-name/cips.db",
        f"postgresql://cips:s3cret-password@127.0.0.1:{free_port()}/secret-name",
    ],
    ids=["sqlite", "postgresql"],
)
def test_healthz_says_database_without_telling_where_or_why(url, caplog):
    caplog.set_level(logging.INFO)
    status, body, headers = _healthz(url)
    assert (status, body) == (503, {"status": "unavailable", "reason": "database"})
    assert "health check: the database does not answer (OperationalError)" in caplog.text
    for secret in ("secret-name", "s3cret-password", "127.0.0.1", "nonexistent-folder"):
        assert secret not in caplog.text
        assert secret not in str(headers)


@contextmanager
def _serving(url: str) -> Iterator[str]:
    """The web app on a real HTTP port (the development server, in a thread)."""
    app = create_app({"DATABASE_URL": url})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        app.extensions["cips"].db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_cips_health_url_follows_healthz(database_url):
    with _serving(database_url) as base:
        assert run_cips("health", "--url", base).output == f"ok: {base}/healthz\n"
        command.downgrade(alembic_config(database_url), "-1")
        failed = run_cips("health", "--url", base + "/", ok=False)
        assert failed.exit_code == 1
        assert f"{base}/healthz answered 503 (migrations)" in failed.output
        command.upgrade(alembic_config(database_url), head_revision())
        run_cips("health", "--url", f"{base}/healthz")
    port = base.rsplit(":", 1)[1]
    gone = run_cips("health", "--url", base, "--timeout", "2s", ok=False)
    assert f"127.0.0.1:{port}/healthz does not answer" in gone.output


def test_cips_health_heartbeat_fresh_stale_and_missing(tmp_path: Path):
    bot, clock, missing = tmp_path / "bot.alive", tmp_path / "clock.alive", tmp_path / "none"
    liveness.beat(bot)  # as the bot and the clock mark their files
    liveness.beat(clock)
    run_cips("health", "--heartbeat", str(bot), "--heartbeat", str(clock))

    old = time.time() - 90
    os.utime(clock, (old, old))
    stale = run_cips("health", "--heartbeat", str(bot), "--heartbeat", str(clock), ok=False)
    assert stale.exit_code == 1
    assert f"ok: {bot}" in stale.output
    assert f"{clock} was last touched 90 s ago (more than 60 s)" in stale.output
    run_cips("health", "--heartbeat", str(clock), "--max-age", "2m")

    absent = run_cips("health", "--heartbeat", str(missing), ok=False)
    assert f"{missing} does not exist" in absent.output


def test_cips_health_needs_something_to_check():
    assert run_cips("health", ok=False).exit_code == 2
    bad = run_cips("health", "--url", "127.0.0.1:8000", ok=False)
    assert "not an http(s) URL" in bad.output


def test_cips_health_sending_reports_the_queue_and_the_429s(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cips.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    context.settings.cache_clear()
    alive = tmp_path / "bot.alive"
    liveness.beat(alive, {"429_last_hour": 3, "queued": 0})
    quiet = run_cips("health", "--sending", "--heartbeat", str(alive))
    assert "ok: sending: 0 messages due, the oldest 0 s old, 3 answered 429" in quiet.output
    db = Database(url)
    with db.transaction() as session:  # a message due for two minutes: nobody is sending
        session.add(Outbox(chat_secret="x", kind="reply", payload={},
                           not_before=utcnow() - dt.timedelta(minutes=2)))  # fmt: skip
    db.dispose()
    stuck = run_cips("health", "--sending", ok=False)
    assert stuck.exit_code == 1
    assert re.search(r"1 messages due, the oldest 1[2-3]\d s old", stuck.output), stuck.output
    assert "the bot is not sending" in stuck.output
    context.settings.cache_clear()

"""Logs: the text and JSON formats of `cips/logs.py`, and the libraries kept quiet."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys

from cips.logs import JsonFormatter, dict_config, formatter
from survey import liveness
from tests.cli_support import run_cips


def _cips(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cips", *args],
        env={**os.environ, "DATABASE_URL": "sqlite:///cips.db", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_json_logs_are_one_object_per_line_in_utc():
    # The option wins over the environment.
    done = _cips("-v", "--log-format", "json", "db", "upgrade", CIPS_LOG_FORMAT="text")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("database at revision ")  # the command's answer, not a log
    lines = done.stderr.splitlines()
    assert len(lines) > 3  # the migrations, step by step with -v
    for line in lines:
        entry = json.loads(line)
        assert set(entry) == {"time", "level", "logger", "message", "role"}
        assert entry["role"] == "cli"
        assert entry["time"].endswith("Z")
        assert dt.datetime.fromisoformat(entry["time"]).utcoffset() == dt.timedelta(0)
    assert any(json.loads(line)["logger"].startswith("alembic") for line in lines)


def test_the_format_is_checked(monkeypatch):
    monkeypatch.setenv("CIPS_LOG_FORMAT", "xml")
    bad = run_cips("db", "upgrade", ok=False)
    assert bad.exit_code == 2
    assert "'xml' is not one of 'text', 'json'" in bad.output
    record = logging.LogRecord("web", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    assert formatter("text", "web").format(record).endswith(" INFO web: hello you")


def test_an_exception_stays_on_its_line():
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        record = logging.LogRecord("bot.run", logging.ERROR, __file__, 1, "failed %s", ("x",),
                                   sys.exc_info())  # fmt: skip
    line = JsonFormatter("bot").format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed x" and entry["role"] == "bot"
    assert entry["exception"].startswith("Traceback") and "ZeroDivisionError" in entry["exception"]


def test_libraries_that_see_identifiers_never_log_below_warning(tmp_path):
    liveness.beat(tmp_path / "alive")
    quiet = ("httpx", "httpcore", "telegram", "tornado.access")
    for name in quiet:  # as a fresh process finds them (pytest's root logger is WARNING anyway)
        logging.getLogger(name).setLevel(logging.NOTSET)
    run_cips("-v", "health", "--heartbeat", str(tmp_path / "alive"))
    for name in quiet:
        assert logging.getLogger(name).level == logging.WARNING
    assert logging.getLogger("telegram.ext").getEffectiveLevel() == logging.WARNING
    gunicorn = dict_config("web", "json")["loggers"]
    assert all(gunicorn[name]["level"] == "WARNING" for name in ("httpx", "telegram"))

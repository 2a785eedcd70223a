"""Logging of every process (web, bot, clock, run, cli): one format chosen by `CIPS_LOG_FORMAT`.

`text` (the default) is one readable line per record; `json` is one JSON object per line
(`time` in UTC ISO 8601, `level`, `logger`, `message`, `role`, and `exception` when there is
one) for log collectors. The `cips` group calls `setup`; gunicorn gets the same handlers from
`dict_config` (see `cips/gunicorn_conf.py`).

Anonymity: the libraries that talk to Telegram log request URLs (with the bot token) and, when
debugging, whole updates (with chat and user ids), so they never log below WARNING, even with
`--verbose`. Our own code never logs a Telegram identifier.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from typing import Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = ("httpx", "httpcore", "telegram", "tornado.access")
# Detail shown with --verbose only: migrations step by step, and the clock's "Running job ..."
# (four lines a minute).
DETAIL_LOGGERS = ("alembic", "apscheduler.executors")
# Libraries that narrate their work at INFO or DEBUG, even under --verbose: a French or Arabic
# report subsets its fonts into the PDF (fontTools: "maxp pruned", some 200 lines a report);
# matplotlib and Pillow describe the fonts and images they find.
CHATTY_LOGGERS = ("fontTools", "matplotlib", "PIL")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def __init__(self, role: str = "cli"):
        super().__init__()
        self.role = role

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "role": self.role,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["exception"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (a later `setup` may run under a swapped
    one, e.g. click's test runner)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def log_format(value: str | None = None) -> str:
    """`value`, else CIPS_LOG_FORMAT, else text; anything else is an error."""
    chosen = (value or os.environ.get("CIPS_LOG_FORMAT") or "text").strip().lower()
    if chosen not in FORMATS:
        raise ValueError(f"unknown log format {chosen!r} (choose from {', '.join(FORMATS)})")
    return chosen


def formatter(fmt: str, role: str) -> logging.Formatter:
    return JsonFormatter(role) if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def setup(role: str = "cli", fmt: str | None = None, verbose: bool = False) -> None:
    """Send every record to stderr in `fmt` (replacing an earlier `setup`'s handler).

    Like `logging.basicConfig`, it leaves the handlers and level alone when something else
    (a test runner, an application embedding cips) already put handlers on the root logger;
    the libraries that would log identifiers are quietened in every case.
    """
    chosen = log_format(fmt)
    for name in (*QUIET_LOGGERS, *CHATTY_LOGGERS):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in DETAIL_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, _StderrHandler)]
    if len(ours) < len(root.handlers):
        return
    for handler in ours:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(formatter(chosen, role))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.captureWarnings(True)


def dict_config(role: str, fmt: str | None = None) -> dict[str, Any]:
    """The same logging as `setup`, as a `logging.config.dictConfig` dictionary (gunicorn)."""
    chosen = log_format(fmt)
    formatter_config = (
        {"()": JsonFormatter, "role": role} if chosen == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"cips": formatter_config},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "cips",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            # Records reach the root's handler only (no second copy).
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            # The reverse proxy keeps the access log; health probes would flood this one.
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            **{
                name: {"level": "WARNING"}
                for name in (*QUIET_LOGGERS, *CHATTY_LOGGERS, *DETAIL_LOGGERS)
            },
        },
    }

"""What respondent routes keep of the people who use them: nothing about their connection.

- Every response of `/s/` and of the Mini App's `/tg/` says `Cache-Control: no-store` (Back on a
  shared computer shows no earlier answer from the cache) and `Referrer-Policy: no-referrer`.
- The development server (werkzeug, under `cips run` and `cips web`) writes each request with
  the client's address first: `install_log_filter` replaces it with `-` on every line, so no
  address reaches a log. gunicorn's access log is off, and its format has no address, user
  agent or Referer (`cips/gunicorn_conf.py`).
- The app reads neither `User-Agent` nor `Referer` nor the address on these routes, and stores
  nothing of them.
"""

from __future__ import annotations

import logging
import re

from flask import Response, request

RESPONDENT_BLUEPRINTS = frozenset({"respond", "miniapp"})  # the web survey, the Mini App
_ADDRESS = re.compile(r"^\S+ - - \[")


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def respondent_headers(response: Response) -> Response:
    """`no_store` on every response of the respondent routes (error pages included)."""
    if request.blueprint in RESPONDENT_BLUEPRINTS:
        no_store(response)
    return response


class RedactAddress(logging.Filter):
    """Drops the client address that werkzeug puts at the start of its request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and _ADDRESS.match(record.msg):
            record.msg = _ADDRESS.sub("- - - [", record.msg, count=1)
        return True


def install_log_filter() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactAddress) for f in logger.filters):
        logger.addFilter(RedactAddress())

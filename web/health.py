"""`GET /healthz`: whether this web process can serve, for load balancers and probes.

200 `{"status": "ok"}` when the database answers and its schema is at the migrations' head;
else 503 `{"status": "unavailable", "reason": "database" | "migrations"}`. No sign-in, no
cookie, nothing cached. The reason is one fixed word: never the database URL or the error,
which go (as the error's class only) to the log at WARNING.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from survey.storage.migrate import current_revision, head_revision
from web.state import app_state

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

# A probe gives up after a few seconds anyway; a query must not hold a connection for longer.
POSTGRES_TIMEOUT = "3s"


def _expected_revision() -> str | None:
    """The migrations' head, read from the scripts once per app."""
    if "cips.head_revision" not in current_app.extensions:
        current_app.extensions["cips.head_revision"] = head_revision()
    return current_app.extensions["cips.head_revision"]


def _problem() -> str | None:
    """What keeps the app from serving ("database", "migrations"), or None."""
    engine = app_state().db.engine
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text(f"SET LOCAL statement_timeout = '{POSTGRES_TIMEOUT}'"))
            revision = current_revision(connection)
            connection.rollback()
    except (SQLAlchemyError, OSError) as exc:
        log.warning("health check: the database does not answer (%s)", type(exc).__name__)
        return "database"
    if revision != _expected_revision():
        log.warning("health check: the database schema is not at the migrations' head")
        return "migrations"
    return None


@bp.get("/healthz")
def healthz():
    problem = _problem()
    body = {"status": "ok"} if problem is None else {"status": "unavailable", "reason": problem}
    response = jsonify(body)
    response.status_code = 200 if problem is None else 503
    response.headers["Cache-Control"] = "no-store"
    return response

"""What the app holds for its whole life (database, questionnaires, settings), and the
database session of the current request."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from survey.config import Settings
from survey.loader import load_questionnaires
from survey.questionnaire import Questionnaire
from survey.storage.db import Database


@dataclass
class AppState:
    settings: Settings
    db: Database
    questionnaires: dict[str, Questionnaire]


def init_app(app: Flask) -> None:
    settings: Settings = app.config["CIPS_SETTINGS"]
    url = app.config.get("DATABASE_URL") or settings.database_url
    app.extensions["cips"] = AppState(
        settings=settings,
        db=Database(url),
        questionnaires=load_questionnaires(folders=settings.questionnaire_dirs),
    )
    app.teardown_appcontext(_close_session)


def app_state() -> AppState:
    return current_app.extensions["cips"]


def db_session() -> Session:
    """The request's session; views that write call `commit()`, anything else is rolled back."""
    if "db_session" not in g:
        db = app_state().db
        # GET and HEAD read (on SQLite without queueing for the write lock); what little they
        # write (a token's last-used day) is written first, before any other read.
        g.db_session = db.reads() if request.method in ("GET", "HEAD") else db.sessions()
    return g.db_session


def lookups_only() -> None:
    """Make the request's session one of independent look-ups (`Database.lookups`), for a view
    that only reads before handing the work to a transaction of its own: call it first."""
    if "db_session" not in g:
        g.db_session = app_state().db.lookups()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()

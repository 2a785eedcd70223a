"""What every command needs: the settings, the database, and the loaded questionnaires."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

import click

from survey.config import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from survey.questionnaire import Questionnaire
    from survey.storage.db import Database
    from survey.storage.models import Campaign

# What is heavy is imported where it is used: a command that needs no database or questionnaire
# (`cips --help`, `cips health --heartbeat`) imports neither SQLAlchemy nor the loader.


@cache
def settings() -> Settings:
    return load_settings()


def database(check_schema: bool = True) -> Database:
    """The database of DATABASE_URL, refusing to run on a schema that is not up to date."""
    from survey.storage.db import Database

    db = Database(settings().database_url)
    if check_schema:
        _refuse_outdated(db.engine)
    return db


@contextmanager
def reading() -> Iterator[Connection]:
    """A read-only transaction on DATABASE_URL through the engine alone, without the ORM: for
    a command that must start at once (`cips campaign list`); refused as `database()` refuses."""
    from survey.storage.engine import READS_ONLY, create_db_engine

    engine = create_db_engine(settings().database_url)
    try:
        _refuse_outdated(engine)
        with engine.execution_options(**{READS_ONLY: True}).begin() as connection:
            yield connection
    finally:
        engine.dispose()


def _refuse_outdated(engine: Engine) -> None:
    from survey.storage.migrate import current_revision, head_revision

    if current_revision(engine) != head_revision():
        engine.dispose()
        raise click.ClickException(
            "the database schema is not up to date: run `cips db upgrade` first"
        )


@contextmanager
def database_refusing(*refusals: type[Exception]) -> Iterator[Database]:
    """`database()` for one command, disposed at its end; the domain's `refusals` raised inside
    become the command's error message (after the transaction they interrupt rolled back)."""
    db = database()
    try:
        yield db
    except refusals as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()


def refuse_open(campaign: Campaign, what: str) -> None:
    """Stop a command that reads a closed campaign's release while `campaign` is still open:
    `what` says what comes at the close ("its wave's results are released")."""
    if campaign.closed_at is None:
        raise click.ClickException(
            f"campaign {campaign.code} is open: {what} when it closes "
            f"(cips campaign close {campaign.code})"
        )


def questionnaires() -> dict[str, Questionnaire]:
    from survey.loader import QuestionnaireError, load_questionnaires

    try:
        return load_questionnaires(folders=settings().questionnaire_dirs)
    except QuestionnaireError as exc:
        raise click.ClickException(f"questionnaire errors:\n{exc}") from exc


def questionnaire_by_id(questionnaire_id: str) -> Questionnaire:
    loaded = questionnaires()
    if questionnaire_id not in loaded:
        known = ", ".join(sorted(loaded))
        raise click.ClickException(f"no questionnaire {questionnaire_id!r} (known: {known})")
    return loaded[questionnaire_id]


def store_releases(db: Database) -> int:
    """Store the result tables of every release that has none yet, in every language (as the
    clock does after a close), so that the results pages read them at once; how many."""
    from analysis.releases import store_missing
    from survey.i18n import available_languages

    with db.reads() as session:  # it writes each release in a transaction of its own
        return store_missing(session, settings().min_cell, questionnaires(), available_languages())


def audit_record(session, action: str, **fields: str | None) -> None:
    """Record what a command does in the audit log, in its transaction, by `cli:<os user>`."""
    from survey import audit

    audit.record(session, action, actor=audit.cli_actor(), **fields)

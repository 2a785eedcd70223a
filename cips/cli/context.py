"""What every command needs: the settings, the database, and the loaded questionnaires."""

from __future__ import annotations

from functools import cache

import click

from survey.config import Settings, load_settings
from survey.loader import QuestionnaireError, load_questionnaires
from survey.questionnaire import Questionnaire
from survey.storage import Database
from survey.storage.migrate import current_revision, head_revision


@cache
def settings() -> Settings:
    return load_settings()


def database(check_schema: bool = True) -> Database:
    """The database of DATABASE_URL, refusing to run on a schema that is not up to date."""
    db = Database(settings().database_url)
    if check_schema and current_revision(db.engine) != head_revision():
        db.dispose()
        raise click.ClickException(
            "the database schema is not up to date: run `cips db upgrade` first"
        )
    return db


def questionnaires() -> dict[str, Questionnaire]:
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

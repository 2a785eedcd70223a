"""Alembic migrations run from code: `cips db upgrade` and the tests call `upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine

from survey.storage.db import _normalise_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", _normalise_url(url).replace("%", "%%"))
    return config


SEALING_REVISION = "0004_sealing"


def upgrade(url: str, revision: str = "head") -> None:
    from survey.storage.db import Database

    database = Database(url)
    try:
        before = current_revision(database.engine)
        command.upgrade(alembic_config(url), revision)
        if before is not None and before < SEALING_REVISION <= (
            current_revision(database.engine) or ""
        ):
            # The migration sealed what was finished: clear what its deletions, and every
            # deletion before secure_delete, left readable in the file.
            from survey.sealing import wipe

            wipe(database, whole_file=True)
    finally:
        database.dispose()


def current_revision(bind: Engine | Connection) -> str | None:
    """The schema's revision (None on a database without one), on its own connection or `bind`."""
    if isinstance(bind, Connection):
        return MigrationContext.configure(bind).get_current_revision()
    with bind.connect() as connection:
        return current_revision(connection)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()

"""Alembic migrations run from code: `cips db upgrade` and the tests call `upgrade`.

Alembic is imported only to migrate: every command checks that the schema is up to date, and
that check reads the `alembic_version` table and the revision ids written in the migration files
(tests/test_cli_startup.py checks that it agrees with Alembic's own), so that `cips campaign list`
starts without Alembic (bench/cli_start.py).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from survey.storage.engine import normalise_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


SEALING_REVISION = "0004_sealing"


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

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
        if not inspect(bind).has_table(VERSION_TABLE):
            return None
        revisions = bind.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        if len(revisions) > 1:
            raise RuntimeError(f"the database has several heads: {', '.join(revisions)}")
        return revisions[0] if revisions else None
    with bind.connect() as connection:
        return current_revision(connection)


# A module-level `revision = ...` or `down_revision: ... = ...` line of a migration file, as
# Alembic writes them (one line each; a merge's down_revision is a tuple on that line). Read with a
# regular expression rather than by parsing each file: parsing them all took a tenth of the
# budget of `cips campaign list` (bench/cli_start.py).
REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def head_revision() -> str | None:
    """The newest migration: the one revision no other file names as its down_revision."""
    revisions, downs = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values = {
            name: ast.literal_eval(value) for name, value in REVISION_LINE.findall(path.read_text())
        }
        if "revision" not in values:
            continue
        revisions.add(values["revision"])
        down = values.get("down_revision")
        downs.update(down if isinstance(down, tuple | list) else [down])
    heads = revisions - downs
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {', '.join(sorted(heads))}")
    return next(iter(heads), None)

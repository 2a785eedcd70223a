"""The engine of a database URL, without the ORM: the connection settings every process uses.

SQLite runs in WAL mode with synchronous=FULL (a commit is on disk when it returns) and a busy
timeout, and every transaction starts with BEGIN IMMEDIATE so that two writers queue instead of
failing halfway; a connection with the `READS_ONLY` execution option starts a deferred one, so
that readers never wait for each other. On PostgreSQL the engine takes row locks (SELECT ... FOR
UPDATE) where it needs them.

Kept apart from `survey.storage.db` (the ORM's sessions) so that a command that only reads a
few columns (`cips campaign list`, `survey.campaign_list`) starts without mapping the models.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
READS_ONLY = "cips_reads_only"  # an execution option: a transaction that only reads


def normalise_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` forms hosts hand out; use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" below issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted content is overwritten with zeros, not left in free pages: sealing deletes the
        # rows that linked a person to a response (survey.sealing).
        cursor.execute("PRAGMA secure_delete=ON")
        # FULL: a commit is on disk before the next question goes out (DESIGN.md: "every answer
        # is written durably"). NORMAL would survive a crash of the process but could lose the
        # last answers to a power cut, after the respondent had seen them accepted.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        read_only = connection.get_execution_options().get(READS_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_db_engine(url: str, **kwargs) -> Engine:
    # Error messages must not quote statement parameters: they may hold keyed hashes.
    kwargs.setdefault("hide_parameters", True)
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)

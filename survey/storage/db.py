"""The database connection: one `Database` per process, transactions that lock for writing.

SQLite runs in WAL mode with synchronous=FULL (a commit is on disk when it returns) and a busy
timeout, and every transaction starts with BEGIN IMMEDIATE so that two writers queue instead of
failing halfway; sessions from `Database.reads` (web pages read with GET) start a deferred one,
so that readers never wait for each other. On PostgreSQL the engine takes row locks (SELECT ... FOR UPDATE) where it needs
them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
READS_ONLY = "cips_reads_only"  # an execution option: a transaction that only reads


def _normalise_url(url: str) -> str:
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
    url = _normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    """The engine and session factory for one database URL."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = _normalise_url(url)
        self.engine = create_db_engine(self.url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Sessions that only read: on SQLite a deferred BEGIN, so that readers (web pages) do
        # not queue behind one another for the write lock; a write in them may fail.
        self.reads = sessionmaker(
            self.engine.execution_options(**{READS_ONLY: True}), expire_on_commit=False
        )
        # Independent look-ups before a transaction of their own does the work (the web
        # survey's engine turns): on PostgreSQL each statement commits by itself, which saves
        # the BEGIN and COMMIT round trips; on SQLite a deferred read, which takes no write lock.
        self.lookups = (
            self.reads
            if self.dialect == "sqlite"
            else sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
            )
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

"""The database's ORM sessions: one `Database` per process, transactions that lock for writing
(the engine's settings are `survey.storage.engine`'s)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from survey.storage.engine import READS_ONLY, create_db_engine, normalise_url


class Database:
    """The engine and session factory for one database URL."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = normalise_url(url)
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

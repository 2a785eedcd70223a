"""Core statements compiled once and run on the driver's cursor, for the path every answer takes.

SQLAlchemy spends about 100 µs of Python on each `connection.execute()` (cache key, compiled
cache, execution context, result object); the driver itself takes a few. The one event that
makes up nearly every conversation (an answer leading to the next question) runs five statements,
and the bot adds its update claim and outbox insert, so that overhead was most of the cost.
`Prepared` keeps the statement written in SQLAlchemy Core (the dialect renders it: `FOR UPDATE`
on PostgreSQL only, `?` or `%(name)s` placeholders), but compiles it once per dialect and applies
the column types' own conversions (dates stored as text on SQLite, JSON, booleans) itself. It
runs inside the connection's transaction, and driver errors come out as SQLAlchemy's exception
classes, so callers see one error vocabulary either way.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # the parameters' order for qmark drivers, else named
    bind: dict[str, Callable[[Any], Any]]
    defaults: dict[str, Any]  # the values the statement carries itself (LIMIT 1's 1)
    row: type | None  # a named tuple of the selected columns, or None for a write
    result: tuple[Callable[[Any], Any] | None, ...]


class Prepared:
    """One Core statement; `rows()` for a SELECT (or RETURNING), `run()` for a write."""

    def __init__(self, statement: Executable):
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple]:
        compiled = self._compiled(connection.dialect)
        with self._cursor(connection, compiled, params) as cursor:
            raw = cursor.fetchall()
        convert = compiled.result
        row = compiled.row
        if not any(convert):
            return [row._make(values) for values in raw]
        return [
            row._make(v if f is None else f(v) for f, v in zip(convert, values, strict=True))
            for values in raw
        ]

    def run(self, connection: Connection, params: Mapping[str, Any]) -> None:
        compiled = self._compiled(connection.dialect)
        with self._cursor(connection, compiled, params):
            pass

    def _cursor(self, connection: Connection, compiled: _Compiled, params: Mapping[str, Any]):
        values = {
            name: (compiled.bind[name](value) if name in compiled.bind else value)
            for name, value in (compiled.defaults | params).items()
        }
        if compiled.positional is not None:
            values = tuple(values[name] for name in compiled.positional)
        dialect = connection.dialect
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.execute(compiled.sql, values)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise DBAPIError.instance(
                compiled.sql, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True,
                dialect=dialect,
            ) from exc  # fmt: skip
        return closing(cursor)

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _compile(self.statement, dialect)
        return found


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    bind = {}
    for name, parameter in compiled.binds.items():
        processor = parameter.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            bind[name] = processor
    defaults = {name: p.effective_value for name, p in compiled.binds.items() if not p.required}
    # A SELECT's columns, or what an INSERT/UPDATE ... RETURNING gives back.
    columns = list(
        getattr(statement, "selected_columns", None) or compiled.effective_returning or ()
    )
    row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None
    result = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    positional = tuple(compiled.positiontup) if compiled.positional else None
    return _Compiled(compiled.string, positional, bind, defaults, row, result)

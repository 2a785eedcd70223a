"""Core statements compiled once and run on the driver's cursor, for the engine's hot path.

SQLAlchemy spends about 100 µs of Python on each `connection.execute()` (cache key, compiled
cache, execution context, result object); the driver itself takes a few. The one event that
makes up nearly every conversation (an answer leading to the next question) runs five statements,
so that overhead was most of its cost. `Prepared` keeps the statement written in SQLAlchemy Core
(the dialect renders it: `FOR UPDATE` on PostgreSQL only, `?` or `%(name)s` placeholders), but
compiles it once per dialect and applies the column types' own conversions (dates stored as text
on SQLite, booleans) itself. It runs inside the connection's transaction, and driver errors come
out as SQLAlchemy's exception classes, so callers see one error vocabulary either way.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
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

    def parameters(self, params: Mapping[str, Any]) -> tuple | dict:
        values = {
            name: (self.bind[name](value) if name in self.bind else value)
            for name, value in (self.defaults | params).items()
        }
        if self.positional is not None:
            return tuple(values[name] for name in self.positional)
        return values

    def rows(self, raw: list[tuple]) -> list[tuple]:
        """The driver's rows as named tuples of Python values."""
        row, convert = self.row, self.result
        if not any(convert):
            return [row._make(values) for values in raw]
        return [
            row._make(v if f is None else f(v) for f, v in zip(convert, values, strict=True))
            for values in raw
        ]


class Prepared:
    """One Core statement; `rows()` for a SELECT (or RETURNING), `run()` for a write."""

    def __init__(self, statement: Executable):
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple]:
        compiled = self._compiled(connection.dialect)
        with _driver_errors(connection, compiled), _cursor(connection) as cursor:
            cursor.execute(compiled.sql, compiled.parameters(params))
            return compiled.rows(cursor.fetchall())

    def run(self, connection: Connection, params: Mapping[str, Any]) -> None:
        compiled = self._compiled(connection.dialect)
        with _driver_errors(connection, compiled), _cursor(connection) as cursor:
            cursor.execute(compiled.sql, compiled.parameters(params))

    @staticmethod
    def together(
        connection: Connection, *calls: tuple[Prepared, Mapping[str, Any]]
    ) -> list[list[tuple]]:
        """The rows of several SELECTs run in order; on PostgreSQL sent in one round trip (with
        the transaction's BEGIN), in psycopg's pipeline mode."""
        if connection.dialect.name != "postgresql":
            return [statement.rows(connection, params) for statement, params in calls]
        driver = connection.connection.driver_connection
        compiled = [statement._compiled(connection.dialect) for statement, _ in calls]
        cursors = [driver.cursor() for _ in calls]
        try:
            with _driver_errors(connection, compiled[0]), driver.pipeline():
                for cursor, each, (_, params) in zip(cursors, compiled, calls, strict=True):
                    cursor.execute(each.sql, each.parameters(params))
            return [
                each.rows(cursor.fetchall()) for each, cursor in zip(compiled, cursors, strict=True)
            ]
        finally:
            for cursor in cursors:
                cursor.close()

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = _compile(self.statement, dialect)
        return found


def _cursor(connection: Connection):
    return closing(connection.connection.driver_connection.cursor())


@contextmanager
def _driver_errors(connection: Connection, compiled: _Compiled) -> Iterator[None]:
    """The driver's errors as SQLAlchemy's (IntegrityError, OperationalError...), without the
    parameters: they may hold keyed hashes and answers."""
    error = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except error as exc:
        raise DBAPIError.instance(
            compiled.sql, None, exc, error, hide_parameters=True, dialect=connection.dialect
        ) from exc


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    bind = {}
    for name, parameter in compiled.binds.items():
        processor = parameter.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            bind[name] = processor
    defaults = {name: p.effective_value for name, p in compiled.binds.items() if not p.required}
    columns = list(getattr(statement, "selected_columns", ()) or ())
    returning = getattr(compiled, "returning", None) or ()
    columns = columns or list(returning)
    row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None
    result = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    positional = tuple(compiled.positiontup) if compiled.positional else None
    return _Compiled(compiled.string, positional, bind, defaults, row, result)

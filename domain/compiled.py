"""Statements of the hot paths, compiled once and run on the driver's own cursor.

For the small statements the writer and the projections run for every batch, SQLAlchemy's
execution of a Core statement (a cache key, an execution context, a result wrapper) cost
more than the database's work: in a profile of one-caller appends, about four times SQLite's
own time. Here a statement is compiled once for its dialect, and each set of values is
converted by the converters SQLAlchemy itself would use (JSON, times), in the order the SQL
names them, then handed to the DBAPI cursor of the connection's open transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, DateTime, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement, ColumnElement, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

Values = Mapping[str, Any]


class Compiled:
    """One statement, compiled for one dialect."""

    def __init__(self, dialect: Dialect, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = str(compiled)
        names = list(compiled.positiontup or []) if dialect.positional else list(compiled.params)
        # SQLAlchemy's own per-type converters (its private cache of them, as its execution uses)
        convert: dict[str, Callable[[Any], Any] | None] = {
            name: _remembering(compiled.binds[name].type, dialect) for name in names
        }
        defaults = compiled.params  # the values bound in the statement itself (an OFFSET 0)
        self._fields = [(name, convert[name], defaults.get(name)) for name in names]
        self._positional = dialect.positional
        # ... and for a query, the converters of the values it returns
        self._results: list[Callable[[Any], Any] | None] | None = None
        if isinstance(statement, Select):
            found: list[Callable[[Any], Any] | None] = [
                column.type._cached_result_processor(dialect, None)
                for column in statement.selected_columns
            ]
            self._results = found if any(found) else None

    def execute(self, conn: Connection, values: Values) -> list[tuple[Any, ...]]:
        """Run it once; the rows it returns, converted as SQLAlchemy would."""
        rows = self._run(conn, "execute", self._parameters(values))
        if self._results is None:
            return rows
        processors = self._results
        return [
            tuple(p(v) if p else v for p, v in zip(processors, row, strict=True)) for row in rows
        ]

    def driver_rows(self, conn: Connection, values: Values) -> list[tuple[Any, ...]]:
        """Run it once; the rows as the driver returns them, for a reader that converts its
        own values more cheaply than the general converters do (the log's, per event)."""
        return self._run(conn, "execute", self._parameters(values))

    def executemany(self, conn: Connection, rows: Sequence[Values]) -> None:
        self._run(conn, "executemany", [self._parameters(row) for row in rows])

    def _run(self, conn: Connection, method: str, parameters: Any) -> list[tuple[Any, ...]]:
        """On the cursor of the connection's transaction; the driver's errors become
        SQLAlchemy's, as its own execution would raise them (a lost connection invalidated)."""
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        try:
            getattr(cursor, method)(self.sql, parameters)
            return list(cursor.fetchall()) if cursor.description else []
        except conn.dialect.loaded_dbapi.Error as error:
            lost = conn.dialect.is_disconnect(error, dbapi_connection, cursor)
            if lost:
                conn.invalidate(error)
            raise DBAPIError.instance(
                self.sql,
                parameters,
                error,
                conn.dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=conn.dialect,
            ) from error
        finally:
            cursor.close()

    def _parameters(self, values: Values) -> tuple[Any, ...] | dict[str, Any]:
        if self._positional:  # SQLite's: the hottest loop of a batch, so one pass
            return tuple(
                convert(values.get(name, default)) if convert else values.get(name, default)
                for name, convert, default in self._fields
            )
        return {
            name: convert(values.get(name, default)) if convert else values.get(name, default)
            for name, convert, default in self._fields
        }


class Prepared:
    """A statement compiled on its first run on each dialect."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._by_dialect: dict[str, Compiled] = {}

    def on(self, conn: Connection) -> Compiled:
        compiled = self._by_dialect.get(conn.dialect.name)
        if compiled is None:
            compiled = self._by_dialect[conn.dialect.name] = Compiled(conn.dialect, self._statement)
        return compiled

    def execute(self, conn: Connection, values: Values) -> list[tuple[Any, ...]]:
        return self.on(conn).execute(conn, values)

    def driver_rows(self, conn: Connection, values: Values) -> list[tuple[Any, ...]]:
        return self.on(conn).driver_rows(conn, values)

    def executemany(self, conn: Connection, rows: Sequence[Values]) -> None:
        self.on(conn).executemany(conn, rows)


class PreparedIn:
    """A query over a list of values (`column IN (...)`), compiled once per size of list.

    Lists are padded to the next power of two with their own last value, which changes no
    answer of an IN, so a handful of compiled forms serve every size.
    """

    def __init__(self, build: Callable[[ColumnElement[bool]], Select[Any]], column: Any) -> None:
        self._build = build  # the query, given the IN condition
        self._column = column
        # by dialect and size: the statement, and the names of its values
        self._by_size: dict[tuple[str, int], tuple[Compiled, tuple[str, ...]]] = {}

    def execute(self, conn: Connection, values: Iterable[Any]) -> list[tuple[Any, ...]]:
        wanted = list(values)
        if not wanted:
            return []
        size = 1 << (len(wanted) - 1).bit_length()
        padded = wanted + [wanted[-1]] * (size - len(wanted))
        key = (conn.dialect.name, size)
        found = self._by_size.get(key)
        if found is None:
            names = tuple(f"v{n}" for n in range(size))
            condition = self._column.in_([bindparam(name) for name in names])
            found = self._by_size[key] = (Compiled(conn.dialect, self._build(condition)), names)
        compiled, names = found
        return compiled.execute(conn, dict(zip(names, padded, strict=True)))


def _remembering(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """SQLAlchemy's converter of `type_`; for times, one that remembers its last value: a
    batch stamps every event and command it writes with one time, and SQLite's converter
    formats it through a dict each time (a twelfth of the writer's time at 64 callers). By
    identity, never equality: equal times in other zones are written otherwise."""
    convert = type_._cached_bind_processor(dialect)
    if convert is None or not isinstance(type_, DateTime):
        return convert
    last: tuple[Any, Any] = (None, None)  # replaced whole: a thread never sees half of it

    def remembered(value: Any) -> Any:
        nonlocal last
        seen, converted = last
        if value is seen and value is not None:
            return converted
        converted = convert(value)
        last = (value, converted)
        return converted

    return remembered

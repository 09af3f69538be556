"""Upserts of view rows, compiled once per table and sent to the driver as they are.

The projection engine writes every changed row of a batch with one `executemany`. Through
SQLAlchemy's statement execution that costs more than the projecting itself; here the
statement is compiled once, and each row only has its values converted, by the same
converters SQLAlchemy would use (JSON, times), in the order the statement names them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

from domain.dialect import upsert

Row = Mapping[str, Any]


class Upsert:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE of every column, for one table."""

    def __init__(self, conn: Connection, table: Table) -> None:
        dialect = conn.dialect
        insert = upsert(conn)(table)
        key = next(iter(table.primary_key.columns))
        statement = insert.on_conflict_do_update(
            index_elements=[key],
            set_={c.name: insert.excluded[c.name] for c in table.columns if c is not key},
        )
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        names = list(compiled.positiontup or []) if dialect.positional else list(compiled.params)
        # SQLAlchemy's own per-type converters (its private cache of them, as its execution uses)
        convert: dict[str, Callable[[Any], Any] | None] = {
            c.name: c.type._cached_bind_processor(dialect) for c in table.columns
        }
        self._fields = [(name, convert.get(name)) for name in names]
        self._positional = dialect.positional

    def execute(self, conn: Connection, rows: Sequence[Row]) -> None:
        conn.exec_driver_sql(self.sql, [self._parameters(row) for row in rows])

    def _parameters(self, row: Row) -> tuple[Any, ...] | dict[str, Any]:
        values = [
            (name, convert(row.get(name)) if convert else row.get(name))
            for name, convert in self._fields
        ]
        if self._positional:
            return tuple(value for _, value in values)
        return dict(values)


class Upserts:
    """Each table's upsert, compiled the first time it is needed."""

    def __init__(self) -> None:
        self._compiled: dict[str, Upsert] = {}  # by table name: each generation has its own

    def of(self, conn: Connection, table: Table) -> Upsert:
        upsert = self._compiled.get(table.name)
        if upsert is None:
            upsert = self._compiled[table.name] = Upsert(conn, table)
        return upsert

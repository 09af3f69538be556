"""Upserts of view rows, compiled once per table and run on the driver's cursor.

The projection engine writes every changed row of a batch with one `executemany`. Through
SQLAlchemy's statement execution that costs more than the projecting itself; here the
statement is compiled once (domain/compiled.py) and each row only has its values converted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

from domain.compiled import Compiled
from domain.dialect import upsert

Row = Mapping[str, Any]


class Upsert:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE of every column, for one table."""

    def __init__(self, conn: Connection, table: Table) -> None:
        insert = upsert(conn)(table)
        key = next(iter(table.primary_key.columns))
        statement = insert.on_conflict_do_update(
            index_elements=[key],
            set_={c.name: insert.excluded[c.name] for c in table.columns if c is not key},
        )
        self._compiled = Compiled(conn.dialect, statement)

    def execute(self, conn: Connection, rows: Sequence[Row]) -> None:
        self._compiled.executemany(conn, rows)


class Upserts:
    """Each table's upsert, compiled the first time it is needed."""

    def __init__(self) -> None:
        self._compiled: dict[str, Upsert] = {}  # by table name: each generation has its own

    def of(self, conn: Connection, table: Table) -> Upsert:
        upsert = self._compiled.get(table.name)
        if upsert is None:
            upsert = self._compiled[table.name] = Upsert(conn, table)
        return upsert

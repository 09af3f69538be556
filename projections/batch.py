"""A batch of log events projected into view rows: rows read once, written once.

The projector says which rows each event needs; the batch fetches them all in one query per
table, applies the events in order to the rows in memory, and writes every changed row with
one upsert per table and every removed one with one delete.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, delete, select

from domain.compiled import PreparedIn
from domain.log import RecordedEvent
from projections.projection import Change, MissingRow, Projection, Put, Row, RowKey, Rows
from projections.upserts import Upserts


class Batch:
    """Projects a batch of log events into row changes, reading rows once, writing them once."""

    def __init__(
        self,
        conn: Connection,
        projection: Projection,
        tables: Mapping[str, Table],
        position: int,
        upserts: Upserts,
    ) -> None:
        self._conn = conn
        self._upserts = upserts
        self._projection = projection
        self._tables = tables
        self._rows = Rows()
        self._dirty: dict[RowKey, Change] = {}
        self._start = position
        self.position = position  # the last position passed: the checkpoint to be
        self.failure: tuple[int, Exception] | None = None

    @property
    def consumed(self) -> int:
        """How many positions of the log it passed (the log has no gaps)."""
        return self.position - self._start

    def apply(self, batch: Sequence[RecordedEvent], through: int | None = None) -> None:
        """Project `batch`; then, unless an event failed, pass on to `through` (the end of a
        window of the log whose events of other types were left unread)."""
        relevant = [e for e in batch if e.type in self._projection.handled_types]
        self._fetch(self._needs(relevant))
        for recorded in batch:
            if recorded.type in self._projection.handled_types:
                try:
                    changes = self._project(recorded)
                except Exception as error:  # a poisoned event stops this projection only
                    self.failure = (recorded.position, error)
                    return
                for change in changes:
                    self._dirty[self._rows.apply(change, self._key_of)] = change
            self.position = recorded.position
        if through is not None:
            self.position = max(self.position, through)

    def write(self) -> None:
        """Upsert every changed row and delete every removed one, a statement per table."""
        puts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        deletes: dict[str, list[Any]] = defaultdict(list)
        for (table, key), change in self._dirty.items():
            if isinstance(change, Put):
                puts[table].append(self._rows.current((table, key)) or {})
            else:
                deletes[table].append(key)
        for table, rows in puts.items():
            self._upserts.of(self._conn, self._tables[table]).execute(self._conn, rows)
        for table, keys in deletes.items():
            physical = self._tables[table]
            self._conn.execute(delete(physical).where(primary_key(physical).in_(keys)))

    def changes_of(self, table: str) -> tuple[list[Row], bool]:
        """The rows of `table` this batch wrote, as written, and whether it removed any."""
        rows: list[Row] = []
        removed = False
        for name, key in self._dirty:
            if name == table:
                row = self._rows.current((name, key))
                removed = removed or row is None
                if row is not None:
                    rows.append(row)
        return rows, removed

    def changed(self, table: str, column: str | None) -> list[str] | None:
        """The keys (or values of `column`) of rows of `table` this batch wrote or deleted;
        None where a deleted row's `column` is not known."""
        if column is None:
            return [str(key) for (name, key) in self._dirty if name == table]
        values = set()
        for name, key in self._dirty:
            if name == table:
                row = self._rows.current((name, key))
                if row is None:
                    return None
                values.add(str(row[column]))
        return sorted(values)

    def _needs(self, relevant: Iterable[RecordedEvent]) -> list[RowKey]:
        keys: list[RowKey] = []
        for recorded in relevant:
            try:
                keys.extend(self._projection.needs(recorded.decode(), recorded))
            except Exception:  # the event fails again, and is reported, when it is projected
                break
        return keys

    def _project(self, recorded: RecordedEvent) -> list[Change]:
        event = recorded.decode()
        while True:
            try:
                return self._projection.project(event, recorded, self._rows)
            except MissingRow as missing:  # a row found only through another row
                self._fetch([missing.key])

    def _fetch(self, keys: Iterable[RowKey]) -> None:
        wanted: dict[str, set[Any]] = defaultdict(set)
        for table, key in keys:
            if not self._rows.has((table, key)):
                wanted[table].add(key)
        for table, table_keys in wanted.items():
            physical = self._tables[table]
            names = [column.name for column in physical.columns]
            key_at = names.index(primary_key(physical).name)
            for chunk in _chunks(sorted(table_keys), 500):
                found = {
                    row[key_at]: dict(zip(names, row, strict=True))
                    for row in _rows_of(physical).execute(self._conn, chunk)
                }
                for key in chunk:
                    self._rows.load((table, key), found.get(key))

    def _key_of(self, table: str, row: Mapping[str, Any]) -> Any:
        return row[_key_name(self._tables[table])]


def primary_key(table: Table) -> Any:
    return next(iter(table.primary_key.columns))


@cache
def _key_name(table: Table) -> str:
    return str(primary_key(table).name)


@cache
def _rows_of(table: Table) -> PreparedIn:
    """The rows of `table` with the primary keys given, on the driver's cursor."""
    return PreparedIn(lambda among: select(table).where(among), primary_key(table))


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

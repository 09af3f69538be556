"""What a projection is: a name, a version, the events it handles, and a pure projector.

A projector never touches the database. For each event it names the rows it needs
(`needs`); the engine fetches those for a whole batch at once, and `project` turns the
event and those rows into row changes, which the engine writes with set-based upserts.
A row that depends on another row (a cancelled order's sales day) is fetched on demand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Table
from sqlmodel import SQLModel

from domain.events import Event
from domain.log import RecordedEvent
from projections.set_based import SetBased

Row = dict[str, Any]
RowKey = tuple[str, Any]  # (table name, primary key value)


@dataclass(frozen=True)
class Put:
    """Insert or replace a whole row."""

    table: str
    row: Row


@dataclass(frozen=True)
class Delete:
    table: str
    key: Any


Change = Put | Delete


class MissingRow(Exception):
    """A projector asked for a row the batch has not fetched; the engine fetches it and retries."""

    def __init__(self, key: RowKey) -> None:
        super().__init__(f"{key[0]}[{key[1]!r}]")
        self.key = key


class Rows:
    """The rows a batch fetched, as the batch's earlier events left them."""

    def __init__(self, rows: Mapping[RowKey, Row | None] | None = None) -> None:
        self._rows = dict(rows or {})

    def get(self, table: str, key: Any) -> Row | None:
        if (table, key) not in self._rows:
            raise MissingRow((table, key))
        row = self._rows[(table, key)]
        return dict(row) if row is not None else None

    def load(self, key: RowKey, row: Row | None) -> None:
        self._rows.setdefault(key, row)

    def has(self, key: RowKey) -> bool:
        return key in self._rows

    def apply(self, change: Change, key_of: Callable[[str, Row], Any]) -> RowKey:
        if isinstance(change, Put):
            key = (change.table, key_of(change.table, change.row))
            self._rows[key] = dict(change.row)
        else:
            key = (change.table, change.key)
            self._rows[key] = None
        return key

    def current(self, key: RowKey) -> Row | None:
        return self._rows[key]


def no_rows(_event: Event, _meta: RecordedEvent) -> Iterable[RowKey]:
    return ()


def table_of(model: type[SQLModel]) -> Table:
    """The table behind a SQLModel table class."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


@dataclass(frozen=True)
class Projection:
    name: str
    version: int  # bump it when the projector changes: the view is rebuilt beside the old one
    view: str | None  # the contract's View this projection serves, if any
    tables: tuple[Table, ...]  # the logical tables; each generation gets its own copies
    handles: frozenset[type[Event]]
    project: Callable[[Event, RecordedEvent, Rows], list[Change]]
    needs: Callable[[Event, RecordedEvent], Iterable[RowKey]] = no_rows
    # Statements beyond the tables (a full-text index), given the tables and the dialect.
    ddl: Callable[[Mapping[str, Table], str], list[str]] = field(
        default=lambda _tables, _dialect: []
    )
    # Statements that drop what `ddl` made and dropping the tables leaves behind.
    drop_ddl: Callable[[Mapping[str, Table], str], list[str]] = field(
        default=lambda _tables, _dialect: []
    )
    rebuildable: bool = True  # False for reactions: replaying them would act twice
    # The column of the main table whose values a notice names as the rows changed (default:
    # its primary key); queries read by it (CUSTOMER_ORDERS by customer) to depend on rows.
    notice_column: str | None = None
    # The same view built from position 0 in a few statements of the database's own, where a
    # rebuild can use them (projections/set_based.py); the projector defines what they build.
    set_based: SetBased | None = None

    @cached_property
    def handled_types(self) -> frozenset[str]:
        return frozenset(cls.__name__ for cls in self.handles)

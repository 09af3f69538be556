"""A rebuild in a few set-based statements per range of the log, run by the views' database,
instead of event by event through Python.

Decoding each event into Python and projecting it costs more than the eventsourcing
library's whole replay; the database does the same sums and joins in C. A projection may
carry such statements (`Projection.set_based`) beside its projector, which stays the one
that keeps the view live, and defines what the statements must produce: a test rebuilds
every view both ways over the same log, in one range and in many, and compares each row.

The statements apply the events of one range of positions, `IN_RANGE`, to tables that hold
the view as of the position before it, however it got there (earlier ranges, or batches
event by event). A rebuild goes range by range (`ProjectionEngine.fill`), each in
a transaction of its own: the views' write lock, which every live projection needs too, is
held for one range at a time, and a rebuild interrupted goes on from the last range done.

The statements rely on what the domain guarantees of the log: a stream's first event (a
customer registered, a product added, an order created) appears once, and before any event
that refers to it; an order has one line or more, each of a product of its own. Where a key
repeats, a primary key refuses the rows and the rebuild goes on event by event, as it does
when the statements fail for any other reason, and where the range holds payloads only
Python reads as the projectors expect: one of an older schema version (only Python
upcasts), one with an escaped surrogate or a value of 19 digits or more (written by the
json module where orjson refused; SQLite would store the first as bytes that are not
UTF-8, and read the second as a float).

SQLite only, with the views in a file of their own (the default): the log is attached
read-only to a connection of the views' database (orders/database.py), so the statements
hold the views' write lock while they run, never the log's. Elsewhere, and where no such
connection is given, rebuilds go event by event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from domain.events import EVENT_TYPES

# Physical table names by logical name, and the log's events table as the statements name it.
Statements = Callable[[Mapping[str, str], str], list[str]]
LOG_EVENTS = "log.events"  # the log's table, attached as `log` (orders/database.py)
# The events the statements apply, as a condition on an event's position (prefix a table's
# alias): those after the tables' position `:after`, up to `:through`.
IN_RANGE = "position BETWEEN :after + 1 AND :through"


def inserted_in_range(table: str) -> str:
    """A condition on the rows of `table` (a logical name) that the range's statements have
    inserted: a new row's rowid is above every rowid the table had."""
    return f"rowid > :{table}_rowid"


@dataclass(frozen=True)
class SetBased:
    """How a projection's tables are moved on from `:after` to `:through` in one go."""

    statements: Statements
    # Functions the statements call, by their SQL name: Python's own folding of text, which
    # SQLite's lower() does for ASCII letters only.
    functions: Mapping[str, Callable[[str], str]] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class WholeLog:
    """A connection to the views' database from which the log can be read (SQLite: attached
    read-only, so taking the views' write lock takes none on the log)."""

    engine: Engine

    def apply(
        self,
        conn: Connection,
        set_based: SetBased,
        handled: frozenset[str],
        tables: Mapping[str, str],
        after: int,
        most: int,
    ) -> int | None:
        """Move `tables`, which hold the view as of `after`, on by at most `most` positions of
        the log as this transaction sees it; return the position reached (`after` at the
        head), or None, having undone everything, where an event of the `handled` types in
        that range carries a payload only Python reads as the projectors expect."""
        head = f"SELECT coalesce(max(position), 0) FROM {LOG_EVENTS}"
        through = min(int(conn.exec_driver_sql(head).scalar_one()), after + most)
        if through <= after:
            return after
        # The range is searched for such payloads on another connection (and core) while the
        # statements run: events up to `through` are the same in any later snapshot.
        with ThreadPoolExecutor(max_workers=1) as probe:
            only_python = probe.submit(self._only_python, handled, after, through)
            database = conn.connection.driver_connection
            assert database is not None  # a connection in use has its driver's
            for name, function in set_based.functions.items():
                database.create_function(name, 1, function, deterministic=True)
            bounds: dict[str, int] = {"after": after, "through": through}
            for logical, physical in tables.items():
                rowid = f"SELECT coalesce(max(rowid), 0) FROM {physical}"
                bounds[f"{logical}_rowid"] = int(conn.exec_driver_sql(rowid).scalar_one())
            for statement in set_based.statements(tables, LOG_EVENTS):
                conn.exec_driver_sql(statement, bounds)
            if only_python.result():
                conn.rollback()
                return None
        return through

    def _only_python(self, handled: frozenset[str], after: int, through: int) -> bool:
        """Whether an event of the `handled` types in the range is of an older schema
        version, or its payload holds what SQLite would read otherwise than Python."""
        older = " OR ".join(
            f"schema_version <> {EVENT_TYPES[name].schema_version} AND type = '{name}'"
            for name in sorted(handled)
        )
        types = ", ".join(f"'{name}'" for name in sorted(handled))
        digits = "[0-9]" * 19  # a value's, after its colon (anywhere, the scan costs 7x more)
        search = f"""
            SELECT 1 FROM {LOG_EVENTS}
            WHERE {IN_RANGE} AND ({older} OR type IN ({types}) AND (
                data GLOB '*\\ud[89abcdefABCDEF]*'
                OR data GLOB '*:{digits}*' OR data GLOB '*:-{digits}*'))
            LIMIT 1"""
        connection = self.engine.raw_connection()  # no BEGIN IMMEDIATE: it only reads
        try:
            cursor = connection.cursor()
            bounds = {"after": after, "through": through}
            found = cursor.execute(search, bounds).fetchone() is not None
            cursor.close()
            return found
        finally:
            connection.close()

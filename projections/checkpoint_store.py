"""The checkpoint rows, and the generations of view tables they stand for.

Each generation of a projection has a checkpoint row and its own tables; this reads and
locks those rows, moves them on, records failures, creates generations and promotes a
rebuilt one. Every method runs inside the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.schema import CreateTable

from domain.compiled import Prepared
from domain.dialect import SCHEMA_LOCK_KEY, lock, row_locked
from projections.checkpoints import Checkpoint, State, checkpoints
from projections.checkpoints import metadata as checkpoint_metadata
from projections.generations import GenerationTables
from projections.projection import Projection

log = logging.getLogger(__name__)


class CheckpointStore:
    def __init__(
        self,
        projections: Mapping[str, Projection],
        clock: Callable[[], datetime],
        max_attempts: int,
        backoff: timedelta,
    ) -> None:
        self._projections = projections
        self._clock = clock
        self._max_attempts = max_attempts  # failures of one event before it stops: FAILED
        self._backoff = backoff  # the wait after the first failure; doubled after each
        self._tables = GenerationTables()

    def tables(self, name: str, generation: int) -> dict[str, Table]:
        """The physical tables of one generation of projection `name`, by logical name."""
        return self._tables.tables(self._projections[name], generation)

    def prepare(self, conn: Connection) -> None:
        """Create what is missing: checkpoints, live generations, a rebuild for a new version."""
        lock(conn, SCHEMA_LOCK_KEY)  # processes starting together take turns
        checkpoint_metadata.create_all(conn)
        for projection in self._projections.values():
            found = self.of(conn, projection.name)
            if not found:
                self.create(conn, projection.name, 1, live=True)
            elif found[-1].version == projection.version:
                continue
            elif projection.rebuildable:
                self.create(conn, projection.name, found[-1].generation + 1, live=False)
            else:  # a reaction carries on from where it is, under its new version
                self.set(conn, found[-1], version=projection.version)

    def of(self, conn: Connection, name: str) -> list[Checkpoint]:
        """The checkpoint of each generation of `name`, oldest first."""
        query = select(checkpoints).where(checkpoints.c.name == name)
        return [Checkpoint.from_row(row) for row in conn.execute(query.order_by("generation"))]

    def everyone(self, conn: Connection) -> list[Checkpoint]:
        return [Checkpoint.from_row(row) for row in conn.execute(select(checkpoints))]

    def lock(self, conn: Connection, name: str, generation: int) -> Checkpoint | None:
        """One generation's checkpoint, locked until the transaction ends."""
        query = row_locked(conn, _THIS)
        row = conn.execute(query, {"of_name": name, "of_generation": generation}).first()
        return Checkpoint.from_row(row) if row else None

    def lock_all(self, conn: Connection, names: Sequence[str]) -> list[Checkpoint]:
        """Every generation of these projections, skipping any another runner holds."""
        query = row_locked(
            conn, select(checkpoints).where(checkpoints.c.name.in_(names)), skip_locked=True
        )
        return [Checkpoint.from_row(row) for row in conn.execute(query)]

    @staticmethod
    def set(conn: Connection, checkpoint: Checkpoint, **values: Any) -> None:
        conn.execute(
            _SET.values(**values),
            {"of_name": checkpoint.name, "of_generation": checkpoint.generation},
        )

    def advance(
        self, conn: Connection, checkpoint: Checkpoint, position: int, *, at_head: bool
    ) -> None:
        """Move the checkpoint to `position`; a rebuild that has reached the head goes live."""
        where = {"of_name": checkpoint.name, "of_generation": checkpoint.generation}
        _ADVANCE.execute(conn, where | {"to_position": position, "now": self._clock()})
        if at_head and not checkpoint.live:
            self._promote(conn, checkpoint)

    def record_failure(
        self, conn: Connection, checkpoint: Checkpoint, position: int, failed_at: int, error: Any
    ) -> None:
        """The event at `failed_at` failed: try it again after a back-off, or stop (FAILED)."""
        attempts = checkpoint.attempts + 1
        stopped = attempts >= self._max_attempts
        log.warning(
            "projection %s failed at %d (attempt %d): %r",
            checkpoint.name,
            failed_at,
            attempts,
            error,
        )
        self.set(
            conn,
            checkpoint,
            position=position,
            attempts=attempts,
            state=State.FAILED.value if stopped else checkpoint.state.value,
            error=f"at position {failed_at}: {type(error).__name__}: {error}",
            failed_position=failed_at,
            retry_at=None if stopped else self._clock() + self._backoff * 2 ** (attempts - 1),
            updated_at=self._clock(),
        )

    def create(self, conn: Connection, name: str, generation: int, *, live: bool) -> None:
        """A generation's tables and its checkpoint at position 0. A generation being
        rebuilt gets its secondary indexes when it goes live (`_promote`): kept up row by
        row, they cost a rebuild more than building them once (customer_orders rebuilt at
        36-41k events/s with them, 58-62k with them built at the end)."""
        tables = self.tables(name, generation)
        for table in tables.values():
            if live:
                table.create(conn, checkfirst=True)
            else:
                conn.execute(CreateTable(table, if_not_exists=True))
        projection = self._projections[name]
        for statement in projection.ddl(tables, conn.dialect.name):
            conn.exec_driver_sql(statement)
        conn.execute(
            insert(checkpoints).values(
                name=name,
                generation=generation,
                version=projection.version,
                live=live,
                state=(State.RUNNING if live else State.REBUILDING).value,
                position=0,
                attempts=0,
                updated_at=self._clock(),
            )
        )

    def _promote(self, conn: Connection, rebuilt: Checkpoint) -> None:
        """The rebuilt generation has caught up: it goes live, and older ones are dropped."""
        for old in self.of(conn, rebuilt.name):
            if old.generation < rebuilt.generation:
                conn.execute(
                    delete(checkpoints).where(
                        checkpoints.c.name == old.name, checkpoints.c.generation == old.generation
                    )
                )
                old_tables = self.tables(old.name, old.generation)
                projection = self._projections[old.name]
                for statement in projection.drop_ddl(old_tables, conn.dialect.name):
                    conn.exec_driver_sql(statement)
                for table in old_tables.values():
                    table.drop(conn, checkfirst=True)
        for table in self.tables(rebuilt.name, rebuilt.generation).values():
            for index in table.indexes:  # left out while it was rebuilt (`create`)
                index.create(conn, checkfirst=True)
        version = self._projections[rebuilt.name].version
        self.set(conn, rebuilt, live=True, state=State.RUNNING.value, version=version)
        log.info("projection %s generation %d is live", rebuilt.name, rebuilt.generation)


# Statements built once, so that SQLAlchemy finds them compiled without rebuilding them.
_THIS_CHECKPOINT = (checkpoints.c.name == bindparam("of_name")) & (
    checkpoints.c.generation == bindparam("of_generation")
)
_THIS = select(checkpoints).where(_THIS_CHECKPOINT)
_SET = update(checkpoints).where(_THIS_CHECKPOINT)
_ADVANCE = Prepared(  # every batch runs it: on the driver's cursor (domain/compiled.py)
    _SET.values(
        position=bindparam("to_position"),
        attempts=0,
        error=None,
        failed_position=None,
        retry_at=None,
        updated_at=bindparam("now"),
    )
)

"""The projection engine: applies the log to view tables, a batch per transaction.

Each batch runs in one transaction of the views' database that first locks the
projection's checkpoint row (SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE),
then reads the events after it, writes the view rows and moves the checkpoint. So any
number of runners in any number of processes may be started: they take turns, and a
crash at any point neither skips an event nor applies one twice.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, bindparam, delete, insert, select, update

from domain.dialect import SCHEMA_LOCK_KEY, lock, the_databases_fault
from domain.log import RecordedEvent
from domain.logreader import LogReader
from projections.checkpoints import Checkpoint, State, checkpoints, skipped_events
from projections.checkpoints import metadata as checkpoint_metadata
from projections.generations import Generations
from projections.mirrors import Mirror, MirrorFailed
from projections.projection import Change, MissingRow, Projection, Put, Row, RowKey, Rows
from projections.upserts import Upserts

log = logging.getLogger(__name__)
T = TypeVar("T")
Clock = Callable[[], datetime]
# projection, position reached, rows changed, and the position it was at before: a notice
# whose `after` is ahead of what a listener knows tells it that it missed one.
Notice = tuple[str, int, list[str] | None, int]
OnAdvanced = Callable[[str, int, list[str] | None, int], None]


class Standing(enum.StrEnum):
    """How a projection stands, as an operator sees it: its checkpoint's State, and the log."""

    RUNNING = "RUNNING"  # at the head
    CATCHING_UP = "CATCHING_UP"  # behind the head, applying
    FAILED = "FAILED"  # stopped on an event: retry or skip it
    REBUILDING = "REBUILDING"  # a new generation is being filled beside the live one


@dataclass(frozen=True)
class Status:
    """A projection as an operator sees it: its live generation, and any rebuild under way."""

    projection: Projection
    live: Checkpoint
    rebuilding: Checkpoint | None
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.live.position, 0)

    @property
    def state(self) -> Standing:
        if self.live.state is State.FAILED:
            return Standing.FAILED
        if self.rebuilding is not None:
            return Standing.REBUILDING
        return Standing.RUNNING if self.lag == 0 else Standing.CATCHING_UP


class ProjectionEngine:
    def __init__(
        self,
        views: Engine,
        views_reader: Engine,
        log_reader: LogReader,
        projections: Sequence[Projection],
        *,
        batch_size: int = 500,
        max_attempts: int = 5,
        backoff: timedelta = timedelta(milliseconds=200),
        clock: Clock = lambda: datetime.now(UTC),
        on_advanced: OnAdvanced = lambda _name, _position, _keys, _after: None,
        on_applied: Callable[[str, int, float], None] = lambda _name, _events, _seconds: None,
        mirrors: Mapping[str, Mirror] | None = None,
    ) -> None:
        self._views = views  # takes the write lock at BEGIN (SQLite)
        self._views_reader = views_reader
        self._log = log_reader
        self.projections = {p.name: p for p in projections}
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._clock = clock
        # Told after each commit where a live view now is, and which rows of its main table
        # changed (e.g. the order ids of ORDER_DETAILS).
        self._on_advanced = on_advanced
        self._on_applied = on_applied  # each batch applied: projection, events, seconds taken
        self._mirrors = dict(mirrors or {})  # projection name -> the copy kept of its main table
        self._generations_tables = Generations()
        self._upserts = Upserts()
        self._running = {name: threading.Lock() for name in self.projections}
        self._wanted: set[str] = set()
        self._round = threading.Lock()
        self._round_wanted = False
        self._alone: set[str] = set()  # left out of rounds: their writes failed in one

    # --- set-up -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connections it holds (an operator's command, a test, at its end)."""
        self._views.dispose()
        self._views_reader.dispose()
        self._log.close()

    def prepare(self) -> None:
        """Create what is missing: checkpoints, live generations, a rebuild for a new version."""
        with self._views.begin() as conn:
            lock(conn, SCHEMA_LOCK_KEY)  # processes starting together take turns
            checkpoint_metadata.create_all(conn)
            for projection in self.projections.values():
                generations = self._generations(conn, projection.name)
                if not generations:
                    self._create_generation(conn, projection, 1, live=True)
                elif generations[-1].version == projection.version:
                    continue
                elif projection.rebuildable:
                    next_generation = generations[-1].generation + 1
                    self._create_generation(conn, projection, next_generation, live=False)
                else:  # a reaction carries on from where it is, under its new version
                    self._set(conn, generations[-1], version=projection.version)

    def rebuild(self, name: str) -> int:
        """Start filling a new generation of `name` from position 0 beside the live one."""
        projection = self.projections[name]
        if not projection.rebuildable:
            raise ValueError(f"{name} is a reaction: rebuilding it would act on every event again")
        with self._views.begin() as conn:
            generations = self._generations(conn, name)
            building = [c for c in generations if not c.live]
            if building:
                return building[0].generation
            generation = generations[-1].generation + 1
            self._create_generation(conn, projection, generation, live=False)
            return generation

    # --- running ------------------------------------------------------------------------------

    def catch_up(self, name: str) -> None:
        """Apply the log to every generation of `name` up to the head. Safe to call at any time
        from any thread: a call that finds another runner busy leaves the work to it."""
        self._wanted.add(name)
        while name in self._wanted:
            if not self._running[name].acquire(blocking=False):
                return  # the runner holding the lock sees `_wanted` once it is done
            try:
                self._wanted.discard(name)
                for generation in self.generations(name):
                    while self.run_batch(name, generation) == self._batch_size:
                        pass
            finally:
                self._running[name].release()

    def catch_up_all(self) -> None:
        """Apply the log to every projection up to the head: the live ones that keep up all
        together, one transaction per batch for all of them (one read of the log, one commit);
        rebuilds and any far behind on their own. Safe to call at any time from any thread."""
        self._round_wanted = True
        while self._round_wanted:
            if not self._round.acquire(blocking=False):
                return  # the round under way runs again for us
            try:
                self._round_wanted = False
                while True:
                    read, alone = self.run_round()
                    if read < self._batch_size:
                        break
                for name in alone:
                    try:
                        self.catch_up(name)
                    except Exception:  # its own failure: the others have run regardless
                        log.exception("projection %s could not catch up", name)
                        continue
                    self._alone.discard(name)  # it ran cleanly: back to the rounds
            finally:
                self._round.release()

    def run_round(self) -> tuple[int, list[str]]:
        """One batch of the log for every live projection that keeps up, in one transaction.

        Returns how many events it read, and the projections it left to run on their own:
        those rebuilding, those more than a batch behind the others, and any that failed in a
        round (writing its rows, say: alone, a failure is theirs only, as before rounds).
        """
        names = [n for n in self.projections if n not in self._alone]
        held = [n for n in names if self._running[n].acquire(blocking=False)]
        self._wanted.update(n for n in names if n not in held)  # busy elsewhere: run again
        applying = None
        try:
            with self._views.begin() as conn:
                found = self._lock_all(conn, held)
                now = self._clock()
                live = [c for c in found if c.live and c.runnable(now)]
                front = max((c.position for c in live), default=0)
                together = [c for c in live if c.position >= front - self._batch_size]
                alone = {c.name for c in found if not c.live} | {
                    c.name for c in live if c not in together
                }
                if not together:
                    return 0, sorted(alone)
                start = min(c.position for c in together)
                batch = self._log.read_after(start, self._batch_size)
                applied: list[_Applied] = []
                for checkpoint in together:
                    events = [e for e in batch if e.position > checkpoint.position]
                    if events:
                        applying = checkpoint.name
                        applied.append(self._apply(conn, checkpoint, events, at_head=False))
            for each in applied:
                self._announce(each)
            return len(batch), sorted(alone | self._alone)
        except Exception as error:  # the round is undone; the projection that failed runs alone
            if applying is None or _no_events_fault(error):
                raise  # not one projection's failure (the database, the log): retried whole
            log.warning("projection %s failed in a round; it runs on its own", applying)
            self._alone.add(applying)
            return 0, sorted(self._alone | set(names))
        finally:
            for name in held:
                self._running[name].release()

    def run_batch(self, name: str, generation: int, limit: int | None = None) -> int:
        """One batch in one transaction; returns how many log events it consumed.

        A batch the database refuses (a row it cannot store, say) is tried again in halves
        until the event at fault is alone: the events before it are kept, and that event is
        the projection's failure, retried with back-off, then FAILED for `skip` or `retry`.
        Errors of the connection or the server blame no event: they are raised, and the
        whole batch is tried again on the next wake-up.
        """
        limit = limit or self._batch_size
        try:
            return self._run_batch(name, generation, limit)
        except Exception as error:
            if _no_events_fault(error):
                raise
            if limit == 1:
                self._fail_next(name, generation, error)
                return 0
            half = limit // 2
            consumed = self.run_batch(name, generation, half)
            if consumed == half:  # the fault lies in the second half
                consumed += self.run_batch(name, generation, limit - half)
            return consumed

    def _run_batch(self, name: str, generation: int, limit: int) -> int:
        with self._views.begin() as conn:
            checkpoint = self._lock(conn, name, generation)
            if checkpoint is None or not checkpoint.runnable(self._clock()):
                return 0
            batch = self._log.read_after(checkpoint.position, limit)
            if not batch and checkpoint.live:
                return 0
            applied = self._apply(conn, checkpoint, batch, at_head=len(batch) < limit)
        self._announce(applied)
        return applied.consumed

    def _fail_next(self, name: str, generation: int, error: Exception) -> None:
        """Record `error` as the failure of the event after the checkpoint."""
        with self._views.begin() as conn:
            checkpoint = self._lock(conn, name, generation)
            following = self._log.read_after(checkpoint.position, 1) if checkpoint else []
            if checkpoint is not None and following:
                failed_at = following[0].position
                self._record_failure(conn, checkpoint, checkpoint.position, failed_at, error)

    def _apply(
        self,
        conn: Connection,
        checkpoint: Checkpoint,
        batch: Sequence[RecordedEvent],
        *,
        at_head: bool,
    ) -> _Applied:
        """Project `batch` into the checkpoint's generation and move (or fail) the checkpoint,
        inside the caller's transaction: what to tell after the commit."""
        started = time.perf_counter()
        projection = self.projections[checkpoint.name]
        tables = self._tables_of(projection, checkpoint.generation)
        outcome = _Batch(conn, projection, tables, checkpoint.position, self._upserts)
        outcome.apply(batch)
        outcome.write()
        self._on_applied(checkpoint.name, outcome.consumed, time.perf_counter() - started)
        if outcome.consumed and log.isEnabledFor(logging.DEBUG):
            applied = batch[: outcome.consumed]
            log.debug(
                "projection %s applied positions %d-%d",
                checkpoint.name,
                applied[0].position,
                applied[-1].position,
                extra={"correlation_ids": sorted({e.correlation_id or "" for e in applied})},
            )
        if outcome.failure is not None:
            self._record_failure(conn, checkpoint, outcome.position, *outcome.failure)
        else:  # a rebuild at the head is promoted here
            self._advance(conn, checkpoint, outcome.position, at_head=at_head)
        return self._to_tell(checkpoint, outcome, at_head=at_head)

    def _to_tell(self, checkpoint: Checkpoint, outcome: _Batch, *, at_head: bool) -> _Applied:
        """Still inside the batch's transaction: the mirror's claim, and what to tell after."""
        mirror = self._mirrors.get(checkpoint.name)
        if not checkpoint.live and at_head and outcome.failure is None:  # just promoted:
            if mirror is not None:  # every row changed, as far as readers know
                _claim(mirror.clear)
            return _Applied(
                outcome.consumed, (checkpoint.name, outcome.position, None, checkpoint.position)
            )
        if not (checkpoint.live and outcome.consumed):
            return _Applied(outcome.consumed)
        main_table = self.projections[checkpoint.name].tables[0].name
        changed = outcome.changed(main_table, self.projections[checkpoint.name].notice_column)
        notice: Notice = (checkpoint.name, outcome.position, changed, checkpoint.position)
        rows, removed = outcome.changes_of(main_table)
        if mirror is None or not (rows or removed):
            return _Applied(outcome.consumed, notice)
        if removed:
            _claim(mirror.clear)
        token = _claim(partial(mirror.claim, rows))
        return _Applied(
            outcome.consumed, notice, partial(mirror.fill, rows, outcome.position, token)
        )

    def _announce(self, applied: _Applied) -> None:
        """After a commit: fill the mirrors, then tell where the view is (in that order, so
        that whoever hears the notice finds the copies as fresh as the view)."""
        if applied.fill is not None:
            try:
                applied.fill()
            except Exception:  # the rows stay claimed: readers read the view
                log.warning("a mirror of %s could not be filled", applied.notice, exc_info=True)
        if applied.notice is not None:
            self._on_advanced(*applied.notice)

    # --- operators ----------------------------------------------------------------------------

    def retry(self, name: str) -> None:
        """Resume a FAILED projection: its failing event is tried again."""
        with self._views.begin() as conn:
            for checkpoint in self._generations(conn, name):
                if checkpoint.state is State.FAILED:
                    state = State.RUNNING if checkpoint.live else State.REBUILDING
                    self._set(conn, checkpoint, state=state.value, attempts=0, retry_at=None)

    def skip(self, name: str) -> int | None:
        """Step a FAILED projection past the event it failed on, and record that it did."""
        now = self._clock()
        with self._views.begin() as conn:
            failed = [
                c
                for c in self._generations(conn, name)
                if c.state is State.FAILED and c.failed_position is not None
            ]
            if not failed:
                return None
            checkpoint = failed[0]
            conn.execute(
                insert(skipped_events).values(
                    name=name,
                    generation=checkpoint.generation,
                    position=checkpoint.failed_position,
                    error=checkpoint.error,
                    skipped_at=now,
                )
            )
            state = State.RUNNING if checkpoint.live else State.REBUILDING
            self._set(
                conn,
                checkpoint,
                position=checkpoint.failed_position,
                state=state.value,
                attempts=0,
                error=None,
                failed_position=None,
                retry_at=None,
                updated_at=now,
            )
        if (mirror := self._mirrors.get(name)) is not None:
            mirror.clear()  # what the skipped event would have changed is not known
        return checkpoint.failed_position

    def statuses(self) -> list[Status]:
        head = self._log.head()
        with self._views_reader.connect() as conn:
            rows = [Checkpoint.from_row(r) for r in conn.execute(select(checkpoints))]
        by_name: dict[str, list[Checkpoint]] = defaultdict(list)
        for checkpoint in rows:
            by_name[checkpoint.name].append(checkpoint)
        return [
            Status(
                projection=projection,
                live=next(c for c in by_name[name] if c.live),
                rebuilding=next((c for c in by_name[name] if not c.live), None),
                head=head,
            )
            for name, projection in self.projections.items()
            if any(c.live for c in by_name[name])
        ]

    def checkpoint(self, name: str, generation: int) -> Checkpoint | None:
        with self._views_reader.connect() as conn:
            return next(
                (c for c in self._generations(conn, name) if c.generation == generation), None
            )

    def head(self) -> int:
        return self._log.head()

    def generations(self, name: str) -> list[int]:
        with self._views_reader.connect() as conn:
            return [c.generation for c in self._generations(conn, name)]

    def live_tables(self, name: str) -> dict[str, Table]:
        with self._views_reader.connect() as conn:
            live = next(c for c in self._generations(conn, name) if c.live)
        return self._tables_of(self.projections[name], live.generation)

    # --- inside a batch's transaction --------------------------------------------------------

    def _lock_all(self, conn: Connection, names: Sequence[str]) -> list[Checkpoint]:
        """Every generation of these projections, skipping any another runner holds."""
        query = select(checkpoints).where(checkpoints.c.name.in_(names))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [Checkpoint.from_row(row) for row in conn.execute(query)]

    def _lock(self, conn: Connection, name: str, generation: int) -> Checkpoint | None:
        query = _LOCK_FOR_UPDATE if conn.dialect.name == "postgresql" else _LOCK
        row = conn.execute(query, {"of_name": name, "of_generation": generation}).first()
        return Checkpoint.from_row(row) if row else None

    def _advance(
        self, conn: Connection, checkpoint: Checkpoint, position: int, *, at_head: bool
    ) -> None:
        conn.execute(
            _ADVANCE,
            {
                "of_name": checkpoint.name,
                "of_generation": checkpoint.generation,
                "to_position": position,
                "now": self._clock(),
            },
        )
        if at_head and not checkpoint.live:
            self._promote(conn, checkpoint)

    def _promote(self, conn: Connection, rebuilt: Checkpoint) -> None:
        """The rebuilt generation has caught up: it goes live, and older ones are dropped."""
        projection = self.projections[rebuilt.name]
        for old in self._generations(conn, rebuilt.name):
            if old.generation < rebuilt.generation:
                conn.execute(
                    delete(checkpoints).where(
                        checkpoints.c.name == old.name, checkpoints.c.generation == old.generation
                    )
                )
                for table in self._tables_of(projection, old.generation).values():
                    table.drop(conn, checkfirst=True)
        self._set(conn, rebuilt, live=True, state=State.RUNNING.value, version=projection.version)
        log.info("projection %s generation %d is live", rebuilt.name, rebuilt.generation)

    def _record_failure(
        self,
        conn: Connection,
        checkpoint: Checkpoint,
        position: int,
        failed_at: int,
        error: Exception,
    ) -> None:
        attempts = checkpoint.attempts + 1
        stopped = attempts >= self._max_attempts
        log.warning(
            "projection %s failed at %d (attempt %d): %r",
            checkpoint.name,
            failed_at,
            attempts,
            error,
        )
        self._set(
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

    @staticmethod
    def _set(conn: Connection, checkpoint: Checkpoint, **values: Any) -> None:
        conn.execute(
            _SET.values(**values),
            {"of_name": checkpoint.name, "of_generation": checkpoint.generation},
        )

    def _generations(self, conn: Connection, name: str) -> list[Checkpoint]:
        query = (
            select(checkpoints).where(checkpoints.c.name == name).order_by(checkpoints.c.generation)
        )
        return [Checkpoint.from_row(row) for row in conn.execute(query)]

    def _create_generation(
        self, conn: Connection, projection: Projection, generation: int, *, live: bool
    ) -> None:
        tables = self._tables_of(projection, generation)
        for table in tables.values():
            table.create(conn, checkfirst=True)
        for statement in projection.ddl(tables, conn.dialect.name):
            conn.exec_driver_sql(statement)
        conn.execute(
            insert(checkpoints).values(
                name=projection.name,
                generation=generation,
                version=projection.version,
                live=live,
                state=(State.RUNNING if live else State.REBUILDING).value,
                position=0,
                attempts=0,
                updated_at=self._clock(),
            )
        )

    def _tables_of(self, projection: Projection, generation: int) -> dict[str, Table]:
        return self._generations_tables.tables(projection, generation)


class _Batch:
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
        self.position = position  # the last event applied: the checkpoint to be
        self.consumed = 0
        self.failure: tuple[int, Exception] | None = None

    def apply(self, batch: Sequence[RecordedEvent]) -> None:
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
            self.consumed += 1

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
            self._conn.execute(delete(physical).where(_primary_key(physical).in_(keys)))

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
            column = _primary_key(physical)
            for chunk in _chunks(sorted(table_keys), 500):
                found = {
                    row._mapping[column.name]: dict(row._mapping)
                    for row in self._conn.execute(_rows_of(physical), {"keys": list(chunk)})
                }
                for key in chunk:
                    self._rows.load((table, key), found.get(key))

    def _key_of(self, table: str, row: Mapping[str, Any]) -> Any:
        return row[_primary_key(self._tables[table]).name]


@dataclass(frozen=True)
class _Applied:
    """A batch applied: how many events it consumed, and what to do once it has committed."""

    consumed: int
    notice: Notice | None = None
    fill: Callable[[], None] | None = None  # the mirror's part


def _claim(tell: Callable[[], T]) -> T:
    """Tell a mirror of a change before it commits; where it cannot hear, the batch waits."""
    try:
        return tell()
    except Exception as error:
        raise MirrorFailed(f"a mirror could not take a claim: {error!r}") from error


def _no_events_fault(error: BaseException) -> bool:
    """An error that says nothing about the events being applied: the batch is retried whole."""
    return isinstance(error, MirrorFailed) or the_databases_fault(error)


def _primary_key(table: Table) -> Any:
    return next(iter(table.primary_key.columns))


# Statements built once, so that SQLAlchemy finds them compiled without rebuilding them.
_THIS_CHECKPOINT = (checkpoints.c.name == bindparam("of_name")) & (
    checkpoints.c.generation == bindparam("of_generation")
)
_LOCK = select(checkpoints).where(_THIS_CHECKPOINT)
_LOCK_FOR_UPDATE = _LOCK.with_for_update()
_SET = update(checkpoints).where(_THIS_CHECKPOINT)
_ADVANCE = _SET.values(
    position=bindparam("to_position"),
    attempts=0,
    error=None,
    failed_position=None,
    retry_at=None,
    updated_at=bindparam("now"),
)


@cache
def _rows_of(table: Table) -> Any:
    """The rows of `table` with these primary keys (`keys`)."""
    return select(table).where(_primary_key(table).in_(bindparam("keys", expanding=True)))


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

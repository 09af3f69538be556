"""The projection engine: applies the log to view tables, a batch per transaction.

Each batch runs in one transaction of the views' database that first locks the
projection's checkpoint row (SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE),
then reads the events after it, writes the view rows and moves the checkpoint. So any
number of runners in any number of processes may be started: they take turns, and a
crash at any point neither skips an event nor applies one twice. What an operator asks
of the projections is `engine.operations` (projections/operations.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, Engine

from domain.dialect import the_databases_fault
from domain.log import RecordedEvent
from domain.logreader import LogReader
from projections.batch import Batch
from projections.checkpoint_store import CheckpointStore
from projections.checkpoints import Checkpoint
from projections.mirrors import Mirror, MirrorFailed
from projections.operations import Operations
from projections.projection import Projection
from projections.upserts import Upserts

log = logging.getLogger(__name__)
T = TypeVar("T")
Clock = Callable[[], datetime]
# projection, position reached, rows changed, and the position it was at before: a notice
# whose `after` is ahead of what a listener knows tells it that it missed one.
Notice = tuple[str, int, list[str] | None, int]
OnAdvanced = Callable[[str, int, list[str] | None, int], None]


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
        self._clock = clock
        # Told after each commit where a live view now is, and which rows of its main table
        # changed (e.g. the order ids of ORDER_DETAILS).
        self._on_advanced = on_advanced
        self._on_applied = on_applied  # each batch applied: projection, events, seconds taken
        self._mirrors = dict(mirrors or {})  # projection name -> the copy kept of its main table
        self._store = CheckpointStore(self.projections, clock, max_attempts, backoff)
        self.operations = Operations(
            views, views_reader, log_reader, self.projections, self._store, clock, self._mirrors
        )
        self._upserts = Upserts()
        self._running = {name: threading.Lock() for name in self.projections}
        self._wanted: set[str] = set()
        self._round = threading.Lock()
        self._round_wanted = False
        self._alone: set[str] = set()  # left out of rounds: their writes failed in one

    def close(self) -> None:
        """Close the connections it holds (an operator's command, a test, at its end)."""
        self._views.dispose()
        self._views_reader.dispose()
        self._log.close()

    def prepare(self) -> None:
        """Create what is missing: checkpoints, live generations, a rebuild for a new version."""
        with self._views.begin() as conn:
            self._store.prepare(conn)

    def generations(self, name: str) -> list[int]:
        """The generations of `name` there are: the live one, and any being rebuilt."""
        with self._views_reader.connect() as conn:
            return [c.generation for c in self._store.of(conn, name)]

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
        those rebuilding, those more than a batch behind the others, those another process
        holds, and any that failed in a round (writing its rows, say: alone, a failure is
        theirs only, as before rounds).
        """
        names = [n for n in self.projections if n not in self._alone]
        held = [n for n in names if self._running[n].acquire(blocking=False)]
        self._wanted.update(n for n in names if n not in held)  # busy elsewhere: run again
        applying = None
        try:
            with self._views.begin() as conn:
                found = self._store.lock_all(conn, held)
                together, alone = self._together(found)
                # Mid-batch in another process, which may have read the log before the events
                # this round was woken for: each waits for its lock alone, then catches up.
                alone |= set(held) - {c.name for c in found}
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

    def _together(self, found: list[Checkpoint]) -> tuple[list[Checkpoint], set[str]]:
        """Those of `found` that run in a round, and the names of those that run alone:
        rebuilds, and live ones more than a batch behind the front."""
        now = self._clock()
        live = [c for c in found if c.live and c.runnable(now)]
        front = max((c.position for c in live), default=0)
        together = [c for c in live if c.position >= front - self._batch_size]
        alone = {c.name for c in found if not c.live} | {c.name for c in live if c not in together}
        return together, alone

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
            checkpoint = self._store.lock(conn, name, generation)
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
            checkpoint = self._store.lock(conn, name, generation)
            following = self._log.read_after(checkpoint.position, 1) if checkpoint else []
            if checkpoint is not None and following:
                failed_at = following[0].position
                self._store.record_failure(conn, checkpoint, checkpoint.position, failed_at, error)

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
        tables = self._store.tables(checkpoint.name, checkpoint.generation)
        outcome = Batch(conn, projection, tables, checkpoint.position, self._upserts)
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
            self._store.record_failure(conn, checkpoint, outcome.position, *outcome.failure)
        else:  # a rebuild at the head is promoted here
            self._store.advance(conn, checkpoint, outcome.position, at_head=at_head)
        return self._to_tell(checkpoint, outcome, at_head=at_head)

    def _to_tell(self, checkpoint: Checkpoint, outcome: Batch, *, at_head: bool) -> _Applied:
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

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
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from domain.dialect import the_databases_fault
from domain.logreader import LogReader
from projections.applier import Applied, Applier, OnAdvanced
from projections.checkpoint_store import CheckpointStore
from projections.checkpoints import Checkpoint
from projections.mirrors import Mirror, MirrorFailed
from projections.operations import Operations
from projections.projection import Projection
from projections.set_based import WholeLog

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Ranges:
    """How a set-based rebuild sizes its ranges (`ProjectionEngine.fill`)."""

    first: int = 100_000  # positions of the log
    least: int = 10_000
    seconds: float = 1.0  # the views' write lock held by each, which live projections await
    pause: float = 0.12  # after each: SQLite's busy handler waits up to 100 ms between tries


class ProjectionEngine:
    def __init__(
        self,
        views: Engine,
        views_reader: Engine,
        log_reader: LogReader,
        projections: Sequence[Projection],
        *,
        batch_size: int = 500,
        rebuild_batch_size: int = 5_000,
        ranges: Ranges = Ranges(),
        max_attempts: int = 5,
        backoff: timedelta = timedelta(milliseconds=200),
        clock: Clock = lambda: datetime.now(UTC),
        on_advanced: OnAdvanced = lambda _name, _position, _keys, _after: None,
        on_applied: Callable[[str, int, float], None] = lambda _name, _events, _seconds: None,
        mirrors: Mapping[str, Mirror] | None = None,
        whole_log: WholeLog | None = None,
    ) -> None:
        self._views = views  # takes the write lock at BEGIN (SQLite)
        self._views_reader = views_reader
        self._log = log_reader
        self.projections = {p.name: p for p in projections}
        self._batch_size = batch_size
        self.rebuild_batch_size = rebuild_batch_size  # a rebuild runs alone, far behind
        self._clock = clock
        self._whole_log = whole_log  # where a rebuild may run set-based statements
        self._ranges = ranges
        self._by_events_until: dict[tuple[str, int], int] = {}  # past a range refused
        self._on_applied = on_applied
        kept = dict(mirrors or {})  # projection name -> the copy kept of its main table
        self._store = CheckpointStore(self.projections, clock, max_attempts, backoff)
        self.operations = Operations(
            views, views_reader, log_reader, self.projections, self._store, clock, kept
        )
        self._applier = Applier(self.projections, self._store, kept, on_advanced, on_applied)
        self._running = {name: threading.Lock() for name in self.projections}
        self._wanted: set[str] = set()
        self._round = threading.Lock()
        self._round_wanted = False
        self._alone: set[str] = set()  # left out of rounds: their writes failed in one

    def close(self) -> None:
        """Close the connections it holds (an operator's command, a test, at its end)."""
        self._views.dispose()
        self._views_reader.dispose()
        if self._whole_log is not None:
            self._whole_log.engine.dispose()
        self._log.close()

    def prepare(self) -> None:
        """Create what is missing: checkpoints, live generations, a rebuild for a new version."""
        with self._views.begin() as conn:
            self._store.prepare(conn)

    def generations(self, name: str) -> list[int]:
        """The generations of `name` there are: the live one, and any being rebuilt."""
        return [c.generation for c in self._checkpoints(name)]

    def _checkpoints(self, name: str) -> list[Checkpoint]:
        with self._views_reader.connect() as conn:
            return self._store.of(conn, name)

    def catch_up(self, name: str) -> None:
        """Apply the log to every generation of `name` up to the head. Safe to call at any time
        from any thread: a call that finds another runner busy leaves the work to it."""
        self._wanted.add(name)
        while name in self._wanted:
            if not self._running[name].acquire(blocking=False):
                return  # the runner holding the lock sees `_wanted` once it is done
            try:
                self._wanted.discard(name)
                for checkpoint in self._checkpoints(name):
                    if not checkpoint.live:
                        self.fill(name, checkpoint.generation)
                        continue
                    while self.run_batch(name, checkpoint.generation) == self._batch_size:
                        pass
            finally:
                self._running[name].release()

    def catch_up_all(self) -> None:
        """Apply the log to every projection up to the head: the live ones that keep up all
        together, one transaction per batch for all of them (one read of the log, one commit);
        rebuilds and any far behind on their own, after the rounds, so that another thread's
        rounds go on meanwhile. Safe to call at any time from any thread."""
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
            finally:
                self._round.release()
            for name in alone:
                try:
                    self.catch_up(name)
                except Exception:  # its own failure: the others have run regardless
                    log.exception("projection %s could not catch up", name)
                    continue
                self._alone.discard(name)  # it ran cleanly: back to the rounds

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
                applied: list[Applied] = []
                for checkpoint in together:
                    events = [e for e in batch if e.position > checkpoint.position]
                    if events:
                        applying = checkpoint.name
                        applied.append(self._applier.apply(conn, checkpoint, events, at_head=False))
            for each in applied:
                self._applier.announce(each)
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
            # Alone, a projection reads only the events it handles: a rebuild skips the rest
            handled = self.projections[name].handled_types
            batch, through = self._log.read_window(checkpoint.position, limit, handled)
            if through == checkpoint.position and checkpoint.live:
                return 0
            at_head = through < checkpoint.position + limit
            applied = self._applier.apply(conn, checkpoint, batch, at_head=at_head, through=through)
        self._applier.announce(applied)
        return applied.consumed

    def fill(
        self, name: str, generation: int, on_progress: Callable[[], None] = lambda: None
    ) -> None:
        """Move a generation being rebuilt on towards the head: by the projection's set-based
        statements where it has them and they apply, else a batch at a time, event by event
        (`on_progress` is called after each range and batch). It returns at the head, where
        the last batch promotes it, or where a batch stops short (an event that failed)."""
        while True:
            self._set_based_ranges(name, generation, on_progress)
            consumed = self.run_batch(name, generation, self.rebuild_batch_size)
            on_progress()
            if consumed < self.rebuild_batch_size:
                return

    def _set_based_ranges(self, name: str, generation: int, on_range: Callable[[], None]) -> None:
        """Set-based ranges, one after another, until one moves less than it might.

        Each range is sized to hold the views' write lock for about `Ranges.seconds`, from
        its predecessor's rate, and is followed by a pause longer than SQLite's longest wait
        between two tries for a lock, in which live projections get their turn."""
        most = self._ranges.first
        while True:
            started = time.perf_counter()
            moved = self.run_set_based(name, generation, most)
            if moved:
                on_range()
            if moved < most or not self._behind(name, generation):
                return
            rate = moved / max(time.perf_counter() - started, 1e-3)
            most = max(int(rate * self._ranges.seconds), self._ranges.least)
            time.sleep(self._ranges.pause)

    def _behind(self, name: str, generation: int) -> bool:
        checkpoint = self.operations.checkpoint(name, generation)
        return checkpoint is not None and checkpoint.position < self._log.head()

    def run_set_based(self, name: str, generation: int, most: int) -> int:
        """At most `most` positions of the log applied to a generation being rebuilt by the
        projection's set-based statements, in one transaction; returns how many positions it
        moved the checkpoint on (0: at the head, or left to the batches, event by event).

        Each range is claimed first (`attempts` = 1, committed): after one interrupted (a
        kill, a time limit) the next batch goes event by event, and its commit sets
        `attempts` back to 0. Past a range that failed or was refused, in this process,
        batches go event by event up to its end. A stopped generation, or one waiting out a
        back-off, is left to them as well."""
        projection = self.projections[name]
        if self._whole_log is None or projection.set_based is None:
            return 0
        with self._views.begin() as conn:
            claimed = self._store.lock(conn, name, generation)
            if claimed is None or not _set_based_may_run(claimed, self._clock()):
                return 0
            if claimed.position < self._by_events_until.get((name, generation), 0):
                return 0
            self._store.set(conn, claimed, attempts=1)
        started = time.perf_counter()
        try:
            with self._whole_log.engine.begin() as conn:
                checkpoint = self._store.lock(conn, name, generation)
                if checkpoint != replace(claimed, attempts=1):
                    return 0  # another runner went on, or failed, meanwhile
                tables = {k: t.name for k, t in self._store.tables(name, generation).items()}
                through = self._whole_log.apply(
                    conn,
                    projection.set_based,
                    projection.handled_types,
                    tables,
                    after=checkpoint.position,
                    most=most,
                )
                if through is None:
                    log.info("projection %s: payloads only Python reads; event by event", name)
                else:
                    self._store.advance(conn, checkpoint, through, at_head=False)
        except Exception:  # undone whole: the batches that follow go on event by event
            log.warning("projection %s: set-based rebuild failed", name, exc_info=True)
            through = None
        if through is None:  # event by event past the range, then set-based again
            self._by_events_until[name, generation] = claimed.position + most
            self._release(replace(claimed, attempts=1))
            return 0
        if through > claimed.position:
            self._on_applied(name, through - claimed.position, time.perf_counter() - started)
        return through - claimed.position

    def _release(self, claimed: Checkpoint) -> None:
        """Take back a claim on a range that ended (refused, or failed): not an attempt."""
        with self._views.begin() as conn:
            if self._store.lock(conn, claimed.name, claimed.generation) == claimed:
                self._store.set(conn, claimed, attempts=0)

    def _fail_next(self, name: str, generation: int, error: Exception) -> None:
        """Record `error` as the failure of the event after the checkpoint."""
        with self._views.begin() as conn:
            checkpoint = self._store.lock(conn, name, generation)
            following = self._log.read_after(checkpoint.position, 1) if checkpoint else []
            if checkpoint is not None and following:
                failed_at = following[0].position
                self._store.record_failure(conn, checkpoint, checkpoint.position, failed_at, error)


def _set_based_may_run(checkpoint: Checkpoint, now: datetime) -> bool:
    """A generation being rebuilt whose last range, set-based or not, went through (an event
    that failed is tried again by its projector first, even after an operator's retry)."""
    stopped = checkpoint.live or checkpoint.attempts or checkpoint.failed_position is not None
    return not stopped and checkpoint.runnable(now)


def _no_events_fault(error: BaseException) -> bool:
    """An error that says nothing about the events being applied: the batch is retried whole."""
    return isinstance(error, MirrorFailed) or the_databases_fault(error)

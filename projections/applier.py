"""One batch of the log applied to one generation of a projection, inside the caller's
transaction, and told of after the commit: the mirrors filled first, then the notice."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection

from domain.log import RecordedEvent
from projections.batch import Batch
from projections.checkpoint_store import CheckpointStore
from projections.checkpoints import Checkpoint
from projections.mirrors import Mirror, MirrorFailed
from projections.projection import Projection
from projections.upserts import Upserts

log = logging.getLogger(__name__)
T = TypeVar("T")
# projection, position reached, rows changed, and the position it was at before: a notice
# whose `after` is ahead of what a listener knows tells it that it missed one.
Notice = tuple[str, int, list[str] | None, int]
OnAdvanced = Callable[[str, int, list[str] | None, int], None]


class Applier:
    def __init__(
        self,
        projections: Mapping[str, Projection],
        store: CheckpointStore,
        mirrors: Mapping[str, Mirror],
        on_advanced: OnAdvanced,
        on_applied: Callable[[str, int, float], None],
    ) -> None:
        self._projections = projections
        self._store = store
        self._mirrors = mirrors  # projection name -> the copy kept of its main table
        # Told after each commit where a live view now is, and which rows of its main table
        # changed (e.g. the order ids of ORDER_DETAILS).
        self._on_advanced = on_advanced
        self._on_applied = on_applied  # each batch applied: projection, events, seconds taken
        self._upserts = Upserts()

    def apply(
        self,
        conn: Connection,
        checkpoint: Checkpoint,
        batch: Sequence[RecordedEvent],
        *,
        at_head: bool,
        through: int | None = None,
    ) -> Applied:
        """Project `batch` (up to position `through`, if given: the end of the window it was
        read from) into the checkpoint's generation and move (or fail) the checkpoint, inside
        the caller's transaction: what to tell after the commit."""
        started = time.perf_counter()
        projection = self._projections[checkpoint.name]
        tables = self._store.tables(checkpoint.name, checkpoint.generation)
        outcome = Batch(conn, projection, tables, checkpoint.position, self._upserts)
        outcome.apply(batch, through)
        outcome.write()
        self._on_applied(checkpoint.name, outcome.consumed, time.perf_counter() - started)
        if outcome.consumed and log.isEnabledFor(logging.DEBUG):
            applied = [e for e in batch if e.position <= outcome.position]
            log.debug(
                "projection %s applied positions %d-%d",
                checkpoint.name,
                checkpoint.position + 1,
                outcome.position,
                extra={"correlation_ids": sorted({e.correlation_id or "" for e in applied})},
            )
        if outcome.failure is not None:
            self._store.record_failure(conn, checkpoint, outcome.position, *outcome.failure)
        else:  # a rebuild at the head is promoted here
            self._store.advance(conn, checkpoint, outcome.position, at_head=at_head)
        return self._to_tell(checkpoint, outcome, at_head=at_head)

    def _to_tell(self, checkpoint: Checkpoint, outcome: Batch, *, at_head: bool) -> Applied:
        """Still inside the batch's transaction: the mirror's claim, and what to tell after."""
        mirror = self._mirrors.get(checkpoint.name)
        if not checkpoint.live and at_head and outcome.failure is None:  # just promoted:
            if mirror is not None:  # every row changed, as far as readers know
                _claim(mirror.clear)
            return Applied(
                outcome.consumed, (checkpoint.name, outcome.position, None, checkpoint.position)
            )
        if not (checkpoint.live and outcome.consumed):
            return Applied(outcome.consumed)
        main_table = self._projections[checkpoint.name].tables[0].name
        changed = outcome.changed(main_table, self._projections[checkpoint.name].notice_column)
        notice: Notice = (checkpoint.name, outcome.position, changed, checkpoint.position)
        if mirror is None:
            return Applied(outcome.consumed, notice)
        rows, removed = outcome.changes_of(main_table)
        if not (rows or removed):
            return Applied(outcome.consumed, notice)
        if removed:
            _claim(mirror.clear)
        token = _claim(partial(mirror.claim, rows))
        return Applied(
            outcome.consumed, notice, partial(mirror.fill, rows, outcome.position, token)
        )

    def announce(self, applied: Applied) -> None:
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
class Applied:
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

"""What an operator asks of the projections (the CLI, the `projections` query, the metrics):
how each stands, and retry, skip or rebuild one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import Engine, insert

from domain.logreader import LogReader
from projections.checkpoint_store import CheckpointStore
from projections.checkpoints import Checkpoint, State, skipped_events
from projections.mirrors import Mirror
from projections.projection import Projection
from projections.status import Status


class Operations:
    def __init__(
        self,
        views: Engine,
        views_reader: Engine,
        log_reader: LogReader,
        projections: Mapping[str, Projection],
        store: CheckpointStore,
        clock: Callable[[], datetime],
        mirrors: Mapping[str, Mirror],
    ) -> None:
        self._views = views
        self._views_reader = views_reader
        self._log = log_reader
        self._projections = projections
        self._store = store
        self._clock = clock
        self._mirrors = mirrors

    def statuses(self) -> list[Status]:
        """Each projection's live generation and any rebuild, against the log's head."""
        head = self._log.head()
        with self._views_reader.connect() as conn:
            found = self._store.everyone(conn)
        by_name: dict[str, list[Checkpoint]] = defaultdict(list)
        for checkpoint in found:
            by_name[checkpoint.name].append(checkpoint)
        return [
            Status(
                projection=projection,
                live=next(c for c in by_name[name] if c.live),
                rebuilding=next((c for c in by_name[name] if not c.live), None),
                head=head,
            )
            for name, projection in self._projections.items()
            if any(c.live for c in by_name[name])
        ]

    def checkpoint(self, name: str, generation: int) -> Checkpoint | None:
        with self._views_reader.connect() as conn:
            return next((c for c in self._store.of(conn, name) if c.generation == generation), None)

    def head(self) -> int:
        return self._log.head()

    def rebuild(self, name: str) -> int:
        """Start filling a new generation of `name` from position 0 beside the live one."""
        if not self._projections[name].rebuildable:
            raise ValueError(f"{name} is a reaction: rebuilding it would act on every event again")
        with self._views.begin() as conn:
            found = self._store.of(conn, name)
            building = [c for c in found if not c.live]
            if building:
                return building[0].generation
            self._store.create(conn, name, found[-1].generation + 1, live=False)
            return found[-1].generation + 1

    def retry(self, name: str) -> None:
        """Resume a FAILED projection: its failing event is tried again."""
        with self._views.begin() as conn:
            for checkpoint in self._store.of(conn, name):
                if checkpoint.state is State.FAILED:
                    state = State.RUNNING if checkpoint.live else State.REBUILDING
                    self._store.set(conn, checkpoint, state=state.value, attempts=0, retry_at=None)

    def skip(self, name: str) -> int | None:
        """Step a FAILED projection past the event it failed on, and record that it did."""
        now = self._clock()
        with self._views.begin() as conn:
            failed = [
                c
                for c in self._store.of(conn, name)
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
            self._store.set(
                conn,
                checkpoint,
                position=checkpoint.failed_position,
                state=(State.RUNNING if checkpoint.live else State.REBUILDING).value,
                attempts=0,
                error=None,
                failed_position=None,
                retry_at=None,
                updated_at=now,
            )
        if (mirror := self._mirrors.get(name)) is not None:
            mirror.clear()  # what the skipped event would have changed is not known
        return checkpoint.failed_position

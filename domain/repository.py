"""Aggregates as the writer sees them: how each kind is named, folded and snapshotted.

Handlers load aggregates through a `Repository` and return the writes their decisions
make; the event store's single writer serves loads from its cache of folded states and
appends the writes, so a handler never does I/O of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from domain.errors import Conflict
from domain.events import Event, type_name
from domain.log import NewEvent, RecordedEvent, Snapshot, StreamWrite
from domain.plain import plain

S = TypeVar("S")


@dataclass(frozen=True)
class AggregateKind(Generic[S]):
    """How one kind of aggregate is named, folded and snapshotted."""

    stream_prefix: str
    evolve: Callable[[S | None, Event], S | None]
    state_type: Callable[..., S] | None = None
    snapshot_every: int = 0  # 0: never; long streams snapshot every N events
    snapshot_schema: int = 1  # bump when the state's shape changes: old snapshots are ignored

    def stream_id(self, key: str) -> str:
        return f"{self.stream_prefix}{key}"

    @property
    def snapshots(self) -> bool:
        return bool(self.snapshot_every) and self.state_type is not None

    def thaw(self, snapshot: Snapshot | None) -> tuple[S | None, int]:
        """The state and version a snapshot holds; nothing from one in an older schema."""
        if snapshot is None or self.state_type is None:
            return None, 0
        if snapshot.schema_version != self.snapshot_schema:
            return None, 0
        return self.state_type(**snapshot.state), snapshot.version


@dataclass(frozen=True)
class Loaded(Generic[S]):
    """An aggregate's state at `version` of its stream (0: the stream is empty)."""

    kind: AggregateKind[S]
    stream_id: str
    state: S | None
    version: int
    replayed: int = 0  # events folded after the snapshot to get here (0 from the cache)

    def expect(self, expected_version: int | None) -> None:
        """Refuse when a caller pinned a version the stream is no longer at."""
        if expected_version is not None and expected_version != self.version:
            raise Conflict(
                f"expected version {expected_version}, but it is at {self.version}",
                field="expected_version",
            )

    def after(self, new_events: Iterable[Event]) -> S | None:
        """The state these events would lead to."""
        state = self.state
        for event in new_events:
            state = self.kind.evolve(state, event)
        return state

    def write(self, new_events: Sequence[Event]) -> StreamWrite:
        """These events appended at the loaded version, with the state they lead to."""
        state = self.after(new_events)
        return StreamWrite(
            stream_id=self.stream_id,
            expected_version=self.version,
            events=tuple(
                NewEvent(type=type_name(e), schema_version=e.schema_version, data=e.to_data())
                for e in new_events
            ),
            snapshot=self._snapshot_after(len(new_events), state),
            state_after=Folded(state),
        )

    def _snapshot_after(self, count: int, state: S | None) -> Snapshot | None:
        every = self.kind.snapshot_every
        new_version = self.version + count
        if not every or state is None or new_version // every == self.version // every:
            return None
        return Snapshot(
            stream_id=self.stream_id,
            version=new_version,
            schema_version=self.kind.snapshot_schema,
            state=plain(state),
        )


@dataclass(frozen=True)
class Folded:
    """A state as folded by the writer (None is a state too: the empty stream)."""

    state: Any


def fold(
    kind: AggregateKind[S],
    stream_id: str,
    snapshot: Snapshot | None,
    tail: Iterable[RecordedEvent],
) -> Loaded[S]:
    """The aggregate a snapshot (or nothing) and the events after it make."""
    state, version = kind.thaw(snapshot)
    replayed = 0
    for recorded in tail:
        state = kind.evolve(state, recorded.decode())
        version = recorded.version
        replayed += 1
    return Loaded(kind, stream_id, state, version, replayed)


class Repository(Protocol):
    """Where handlers load aggregates from: the writer's own view of the log."""

    def load(self, kind: AggregateKind[S], key: str) -> Loaded[S]: ...

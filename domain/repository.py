"""Loading aggregates from their streams (snapshot plus tail), and writing back to them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain.errors import Conflict
from domain.events import Event, type_name
from domain.eventstore import EventStore
from domain.log import NewEvent, Snapshot, StreamWrite

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


@dataclass(frozen=True)
class Loaded(Generic[S]):
    """An aggregate's state at `version` of its stream (0: the stream is empty)."""

    kind: AggregateKind[S]
    stream_id: str
    state: S | None
    version: int

    def expect(self, expected_version: int | None) -> None:
        """Refuse when a caller pinned a version the stream is no longer at."""
        if expected_version is not None and expected_version != self.version:
            raise Conflict(
                f"expected version {expected_version}, but it is at {self.version}",
                field="expected_version",
            )

    def write(self, new_events: Sequence[Event]) -> StreamWrite:
        return StreamWrite(
            stream_id=self.stream_id,
            expected_version=self.version,
            events=tuple(
                NewEvent(type=type_name(e), schema_version=e.schema_version, data=e.to_data())
                for e in new_events
            ),
            snapshot=self._snapshot_after(new_events),
        )

    def _snapshot_after(self, new_events: Sequence[Event]) -> Snapshot | None:
        every = self.kind.snapshot_every
        new_version = self.version + len(new_events)
        if not every or new_version // every == self.version // every:
            return None
        state = self.state
        for event in new_events:
            state = self.kind.evolve(state, event)
        if state is None:
            return None
        return Snapshot(
            stream_id=self.stream_id,
            version=new_version,
            schema_version=self.kind.snapshot_schema,
            state=_as_data(state),
        )


class Repository:
    def __init__(self, store: EventStore) -> None:
        self._store = store

    async def load(self, kind: AggregateKind[S], key: str) -> Loaded[S]:
        snapshot = await self._from_snapshot(kind, kind.stream_id(key))
        state, version = snapshot.state, snapshot.version
        for recorded in await self._store.read_stream(snapshot.stream_id, after_version=version):
            state = kind.evolve(state, recorded.decode())
            version = recorded.version
        return Loaded(kind, snapshot.stream_id, state, version)

    async def _from_snapshot(self, kind: AggregateKind[S], stream_id: str) -> Loaded[S]:
        """The latest usable snapshot, or the empty stream."""
        empty = Loaded(kind, stream_id, None, 0)
        if not kind.snapshot_every or kind.state_type is None:
            return empty
        snapshot = await self._store.load_snapshot(stream_id)
        if snapshot is None or snapshot.schema_version != kind.snapshot_schema:
            return empty
        return Loaded(kind, stream_id, kind.state_type(**snapshot.state), snapshot.version)


def _as_data(state: Any) -> dict[str, Any]:
    return dataclasses.asdict(state)

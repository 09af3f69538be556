"""The shapes that cross the event store's boundary: what is appended, what is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain.events import Data, Event, decode

if TYPE_CHECKING:
    from domain.repository import Folded


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    type: str
    schema_version: int
    data: Data


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """An aggregate's state as of `version` of its stream, in the state's own schema."""

    stream_id: str
    version: int
    schema_version: int
    state: Data


@dataclass(frozen=True, kw_only=True)
class StreamWrite:
    """Events for one stream, valid only while the stream is still at `expected_version`."""

    stream_id: str
    expected_version: int
    events: tuple[NewEvent, ...]
    snapshot: Snapshot | None = None
    state_after: Folded | None = None  # the state the events lead to, where the writer knows it


@dataclass(frozen=True, kw_only=True)
class AppendRequest:
    """All writes of one command, applied atomically; the first write is its aggregate's."""

    command_id: str
    fingerprint: str
    aggregate_id: str
    writes: tuple[StreamWrite, ...]
    correlation_id: str | None = None
    causation_id: str | None = None
    actor: str | None = None


@dataclass(frozen=True, kw_only=True)
class CommandRecord:
    """What a handled command wrote: its aggregate's new version and the last position."""

    command_id: str
    fingerprint: str
    aggregate_id: str
    version: int
    position: int
    replayed: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordedEvent:
    position: int
    stream_id: str
    version: int
    type: str
    schema_version: int
    data: Data
    command_id: str | None
    correlation_id: str | None
    causation_id: str | None
    actor: str | None
    recorded_at: datetime

    def decode(self) -> Event:
        """The domain event, decoded once however many projections ask (events are frozen)."""
        event: Event | None = self.__dict__.get("_event")
        if event is None:
            event = decode(self.type, self.schema_version, self.data)
            object.__setattr__(self, "_event", event)
        return event

"""The per-request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass

from domain.bus import CommandBus
from domain.eventstore import EventStore
from projections.engine import ProjectionEngine
from projections.queries import ReadModel


@dataclass(frozen=True)
class Context:
    bus: CommandBus
    store: EventStore
    read: ReadModel
    projections: ProjectionEngine

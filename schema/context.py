"""The per-request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass

from domain.bus import CommandBus
from domain.eventstore import EventStore


@dataclass(frozen=True)
class Context:
    bus: CommandBus
    store: EventStore

"""The context handed to every resolver, made anew for each request."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from domain.bus import CommandBus
from domain.eventstore import EventStore
from projections.engine import ProjectionEngine
from projections.queries import ReadModel
from schema.auth import Authenticator, Principal
from schema.ratelimit import Limiter
from schema.response_cache import ReadLog
from workers.metrics import Metrics
from workers.notices import ViewPositions
from workers.order_cache import OrderReads


@dataclass
class Context:
    bus: CommandBus
    store: EventStore
    read: ReadModel
    orders: OrderReads  # order(id): the Redis cache first, where there is one
    projections: ProjectionEngine
    positions: ViewPositions
    metrics: Metrics
    authenticator: Authenticator
    principal: Principal  # who asks: over a websocket, set at connection_init
    limiter: Limiter | None  # mutations per client, where limited
    address: str | None = None  # the client's network address
    reads: ReadLog = field(
        default_factory=ReadLog
    )  # what this request read, and at which positions
    connection_params: dict[str, Any] | None = None  # a websocket's connection_init payload

    def for_one_operation(self) -> Context:
        """The same services, and a new log of what is read: for each operation of many
        sharing one context (those of a websocket connection)."""
        return replace(self, reads=ReadLog())

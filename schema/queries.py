"""Queries. orderHistory is the audit trail: it reads the order's stream in the log."""

from __future__ import annotations

import json
from datetime import datetime

import strawberry
from strawberry.types import Info

from domain.log import RecordedEvent
from domain.streams import ORDERS
from domain.validation import canonical_id
from schema.context import Context
from schema.scalars import Position


@strawberry.type
class DomainEvent:
    position: Position
    stream_id: strawberry.ID
    version: int
    type: str = strawberry.field(description='The event type, e.g. "OrderCreated".')
    data: str = strawberry.field(description="The event's JSON payload.")
    recorded_at: datetime
    command_id: strawberry.ID | None

    @classmethod
    def from_recorded(cls, event: RecordedEvent) -> DomainEvent:
        return cls(
            position=Position(event.position),
            stream_id=strawberry.ID(event.stream_id),
            version=event.version,
            type=event.type,
            data=json.dumps(event.decode().to_data()),
            recorded_at=event.recorded_at,
            command_id=strawberry.ID(event.command_id) if event.command_id else None,
        )


@strawberry.type
class Query:
    @strawberry.field(description="The order's events, oldest first; empty for an unknown order.")
    async def order_history(
        self, info: Info[Context, None], order_id: strawberry.ID
    ) -> list[DomainEvent]:
        stream = ORDERS.stream_id(canonical_id(order_id))
        return [DomainEvent.from_recorded(e) for e in await info.context.store.read_stream(stream)]

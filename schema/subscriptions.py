"""Subscriptions: a client is told the moment the views it reads have caught up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from domain.validation import canonical_id
from projections import order_details
from schema.consistency import reached, seconds
from schema.context import Context
from schema.enums import View
from schema.scalars import Position
from schema.views import Order, Projection

ORDER_DETAILS = order_details.PROJECTION.name
PROGRESS_EVERY = 0.25  # seconds: the throttle of projectionProgress
STATE_CHECK_EVERY = 2.0  # seconds: how often a quiet projectionProgress looks for state changes
DEFAULT_TIMEOUT_MS = 10_000
MAX_TIMEOUT_MS = 300_000


@strawberry.type
class CatchUp:
    position: Position
    views: list[View] = strawberry.field(description="The views that reached `position`.")
    timed_out: bool


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="One message, then the end: once every named view has reached `position` "
        "(at once if it already has), or at timeoutMs (default 10000) with timedOut true."
    )
    async def views_caught_up(
        self,
        info: Info[Context, None],
        position: Position,
        views: list[View],
        timeout_ms: int | None = None,
    ) -> AsyncGenerator[CatchUp, None]:
        timeout = seconds(timeout_ms, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS)
        done = await reached(info, views, position, timeout)
        yield CatchUp(position=position, views=done, timed_out=len(done) < len(set(views)))

    @strawberry.subscription(
        description="The order's ORDER_DETAILS row now (when it has one), then again each time "
        "the projection commits a change to it."
    )
    async def order_changed(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> AsyncGenerator[Order, None]:
        order_id = canonical_id(id)
        positions, read = info.context.positions, info.context.read
        changes = positions.watch(ORDER_DETAILS, order_id)  # listen first, then read
        try:
            shown = None
            while True:
                row = (await read.order(order_id)).value
                if row is not None and row["version"] != shown:
                    shown = row["version"]
                    yield Order.from_row(row)
                await changes.get()
                while not changes.empty():  # several commits since: the row shows them all
                    changes.get_nowait()
        finally:
            positions.unwatch(ORDER_DETAILS, order_id, changes)

    @strawberry.subscription(
        description="Each projection's status whenever it advances or changes state, "
        f"at most every {PROGRESS_EVERY} s."
    )
    async def projection_progress(
        self, info: Info[Context, None]
    ) -> AsyncGenerator[Projection, None]:
        sent: dict[str, tuple[object, ...]] = {}
        while True:
            for status in await asyncio.to_thread(info.context.projections.statuses):
                seen = (status.live.position, status.head, status.state, status.live.error)
                if sent.get(status.projection.name) != seen:
                    sent[status.projection.name] = seen
                    yield Projection.from_status(status)
            with contextlib.suppress(TimeoutError):  # a stopped projection sends no notice
                await asyncio.wait_for(info.context.positions.advanced(), STATE_CHECK_EVERY)
            await asyncio.sleep(PROGRESS_EVERY)

"""Subscriptions: a client is told the moment the views it reads have caught up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from domain.streams import ORDERS
from projections import order_details
from projections.projection import Row
from schema.arguments import identifier
from schema.auth import signed_in, staff_only
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
        signed_in(info)
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
        caller = signed_in(info)
        order_id = identifier(id, "id")
        positions, read = info.context.positions, info.context.read
        changes = positions.watch(ORDER_DETAILS, order_id)  # listen first, then read
        try:
            shown: Row | None = None
            while True:
                position = positions.latest(ORDER_DETAILS)
                row = await read.order(order_id)
                info.context.reads.note(View.ORDER_DETAILS.value, ORDER_DETAILS, position, order_id)
                if row is not None and not caller.may_see_customer(row["customer_id"]):
                    row = None  # another customer's order: as if it did not exist
                if row is not None and (shown is None or row["version"] > shown["version"]):
                    if shown is not None:  # commits the row has moved past since we showed it
                        stream = ORDERS.stream_id(order_id)
                        later = await info.context.store.read_stream(
                            stream, after_version=shown["version"]
                        )
                        for between in order_details.rows_between(shown, row["version"], later):
                            yield Order.from_row(between)
                    shown = row
                    yield Order.from_row(row)
                await changes.get()
                while not changes.empty():  # several notices since: one read covers them
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
        staff_only(info, "projectionProgress")
        sent: dict[str, tuple[object, ...]] = {}
        while True:
            for status in await asyncio.to_thread(info.context.projections.operations.statuses):
                seen = (status.live.position, status.head, status.state, status.live.error)
                if sent.get(status.projection.name) != seen:
                    sent[status.projection.name] = seen
                    yield Projection.from_status(status)
            with contextlib.suppress(TimeoutError):  # a stopped projection sends no notice
                await asyncio.wait_for(info.context.positions.advanced(), STATE_CHECK_EVERY)
            await asyncio.sleep(PROGRESS_EVERY)

"""Subscriptions: a client is told the moment the views it reads have caught up."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from schema.consistency import reached, seconds
from schema.context import Context
from schema.enums import View
from schema.scalars import Position

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

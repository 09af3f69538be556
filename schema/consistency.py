"""Read-your-writes: waiting for views to reach a client's consistency token.

A CommandResult's `position` is the token. A query given `atLeast` waits (bounded) until
the view it reads has reached it, or fails with STALE_VIEW rather than answer stale; a
mutation given `waitFor` answers once those views have reached its own position. Every
response reports, in `extensions.viewPositions`, where each view it read had got to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from graphql import GraphQLError
from strawberry.types import Info

from projections.registry import PROJECTIONS
from schema.context import Context
from schema.enums import View

PROJECTION_OF = {View(p.view): p.name for p in PROJECTIONS if p.view is not None}
MAX_TIMEOUT_MS = 60_000
DEFAULT_WAIT_MS = 2000  # how long `atLeast` and `waitFor` wait when timeoutMs is not given


def seconds(timeout_ms: int | None, default_ms: int, limit_ms: int = MAX_TIMEOUT_MS) -> float:
    if timeout_ms is None:
        return default_ms / 1000
    if not 0 <= timeout_ms <= limit_ms:
        raise GraphQLError(f"timeoutMs must be between 0 and {limit_ms}")
    return timeout_ms / 1000


async def reached(
    info: Info[Context, None], views: Iterable[View], position: int, timeout: float
) -> list[View]:
    """The views that have reached `position`, waiting at most `timeout` seconds for all."""
    views = list(dict.fromkeys(views))
    done = await info.context.positions.wait([PROJECTION_OF[v] for v in views], position, timeout)
    return [view for view in views if PROJECTION_OF[view] in done]


async def read_view(
    info: Info[Context, None],
    view: View,
    at_least: int | None,
    timeout_ms: int | None,
    read: Callable[[], Awaitable[Any]],
    row: str | None = None,
) -> Any:
    """Read one view, no older than `at_least`; note the position it was read at.

    The position is the one known before the read (from the notices), so the rows read are
    at least that fresh: views only move forward. `row` names the one row read, where one is:
    a kept answer then outlives changes to other rows.
    """
    projection = PROJECTION_OF[view]
    if at_least is not None and not await reached(
        info, [view], at_least, seconds(timeout_ms, DEFAULT_WAIT_MS)
    ):
        # where the view had got to instead, for the client's next try
        info.context.reads.positions[view.value] = info.context.positions.latest(projection)
        raise GraphQLError(
            f"{view.value} has not reached position {at_least} yet; try again",
            extensions={"code": "STALE_VIEW", "view": view.value, "atLeast": str(at_least)},
        )
    position = info.context.positions.latest(projection)
    result = await read()
    info.context.reads.note(view.value, projection, position, row)
    return result


def view_positions(context: object) -> dict[str, Any]:
    """`extensions.viewPositions` of a response: where each view it read had got to."""
    read = context.reads.positions if isinstance(context, Context) else {}
    return {"viewPositions": {view: str(position) for view, position in read.items()}}

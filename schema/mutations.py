"""Mutations are commands: input -> command -> bus -> CommandResult.

With `waitFor`, a mutation answers once those views have reached its position, or at
`timeoutMs` (default 2000); `caughtUp` lists the views that made it (read-your-writes).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from domain.commands import Command
from domain.errors import DomainError, StoreUnavailable
from schema import commands as edge
from schema import observed as correlation
from schema.auth import authorize
from schema.consistency import DEFAULT_WAIT_MS, reached, seconds
from schema.context import Context
from schema.enums import View
from schema.inputs import (
    AddProductInput,
    CancelOrderInput,
    ChangeProductPriceInput,
    CreateOrderInput,
    RegisterCustomerInput,
    RestockProductInput,
    UpdateOrderStatusInput,
)
from schema.results import CommandResult
from workers.metrics import timed

log = logging.getLogger(__name__)


async def dispatch(
    info: Info[Context, None],
    given_id: str | None,
    build: Callable[[str], Command],
    wait_for: list[View] | None,
    timeout_ms: int | None,
) -> CommandResult:
    info.context.reads.cacheable = False
    elapsed, handled = timed(), partial(info.context.metrics.command_handled, info.field_name)
    timeout = seconds(timeout_ms, DEFAULT_WAIT_MS)
    command_id = str(given_id) if given_id is not None else ""
    await within_limit(info, handled)
    try:
        command_id = edge.new_command_id(given_id)
        correlation.command_id.set(command_id)
        caller = info.context.principal
        command = authorize(caller, build(command_id))
        record = await info.context.bus.handle(
            command, correlation.correlation_id.get(), caller.subject
        )
    except DomainError as error:
        handled(error.code, elapsed())
        log.debug("%s refused: %s %s", info.field_name, error.code, error)
        return CommandResult.refused(command_id, error)
    except StoreUnavailable as error:
        handled("unavailable", elapsed())
        raise GraphQLError(str(error), extensions={"code": "UNAVAILABLE"}) from error
    except Exception:
        handled("error", elapsed())
        raise
    handled("replayed" if record.replayed else "ok", elapsed())
    verb = "replayed" if record.replayed else "accepted"
    line = "%s %s: %s version %d, position %d"
    log.debug(line, info.field_name, verb, record.aggregate_id, record.version, record.position)
    caught_up = await reached(info, wait_for, record.position, timeout) if wait_for else []
    return CommandResult.accepted(record, caught_up)


async def within_limit(info: Info[Context, None], handled: Callable[[str, float], None]) -> None:
    """Refuse a command over its client's limit, saying when to try again."""
    caller, limiter = info.context.principal, info.context.limiter
    if limiter is None or caller.is_admin:
        return
    wait = await limiter.wait_for(caller.subject or f"address:{info.context.address}")
    if wait > 0:
        handled("rate_limited", 0.0)
        retry_after = math.ceil(wait * 10) / 10
        raise GraphQLError(
            f"too many commands from this client: try again in {retry_after:g} s",
            extensions={"code": "RATE_LIMITED", "retryAfterSeconds": retry_after},
        )


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register_customer(
        self,
        info: Info[Context, None],
        input: RegisterCustomerInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(
            info, input.command_id, partial(edge.register_customer, input), wait_for, timeout_ms
        )

    @strawberry.mutation
    async def add_product(
        self,
        info: Info[Context, None],
        input: AddProductInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(
            info, input.command_id, partial(edge.add_product, input), wait_for, timeout_ms
        )

    @strawberry.mutation
    async def restock_product(
        self,
        info: Info[Context, None],
        input: RestockProductInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(
            info, input.command_id, partial(edge.restock_product, input), wait_for, timeout_ms
        )

    @strawberry.mutation
    async def change_product_price(
        self,
        info: Info[Context, None],
        input: ChangeProductPriceInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(
            info, input.command_id, partial(edge.change_product_price, input), wait_for, timeout_ms
        )

    @strawberry.mutation
    async def create_order(
        self,
        info: Info[Context, None],
        input: CreateOrderInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(
            info, input.command_id, partial(edge.create_order, input), wait_for, timeout_ms
        )

    @strawberry.mutation
    async def update_order_status(
        self,
        info: Info[Context, None],
        input: UpdateOrderStatusInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(
            info, input.command_id, partial(edge.update_order_status, input), wait_for, timeout_ms
        )

    @strawberry.mutation
    async def cancel_order(
        self,
        info: Info[Context, None],
        input: CancelOrderInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(
            info, input.command_id, partial(edge.cancel_order, input), wait_for, timeout_ms
        )

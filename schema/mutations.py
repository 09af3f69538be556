"""Mutations are commands: input -> command -> bus -> CommandResult.

`waitFor` and `timeoutMs` are part of the contract; they wait for views to catch up
once the read side exists. Until then no view is ever reported in `caughtUp`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import strawberry
from strawberry.types import Info

from domain.commands import Command
from domain.errors import DomainError
from schema import commands as edge
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


async def dispatch(
    info: Info[Context, None], given_id: str | None, build: Callable[[str], Command]
) -> CommandResult:
    command_id = edge.new_command_id(given_id)
    try:
        record = await info.context.bus.handle(build(command_id))
    except DomainError as error:
        return CommandResult.refused(command_id, error)
    return CommandResult.accepted(record)


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
        return await dispatch(info, input.command_id, partial(edge.register_customer, input))

    @strawberry.mutation
    async def add_product(
        self,
        info: Info[Context, None],
        input: AddProductInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(info, input.command_id, partial(edge.add_product, input))

    @strawberry.mutation
    async def restock_product(
        self,
        info: Info[Context, None],
        input: RestockProductInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(info, input.command_id, partial(edge.restock_product, input))

    @strawberry.mutation
    async def change_product_price(
        self,
        info: Info[Context, None],
        input: ChangeProductPriceInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(info, input.command_id, partial(edge.change_product_price, input))

    @strawberry.mutation
    async def create_order(
        self,
        info: Info[Context, None],
        input: CreateOrderInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(info, input.command_id, partial(edge.create_order, input))

    @strawberry.mutation
    async def update_order_status(
        self,
        info: Info[Context, None],
        input: UpdateOrderStatusInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(info, input.command_id, partial(edge.update_order_status, input))

    @strawberry.mutation
    async def cancel_order(
        self,
        info: Info[Context, None],
        input: CancelOrderInput,
        wait_for: list[View] | None = None,
        timeout_ms: int | None = None,
    ) -> CommandResult:
        return await dispatch(info, input.command_id, partial(edge.cancel_order, input))

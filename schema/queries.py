"""Queries read views only (orderHistory, the audit trail, reads the order's stream).

Each view-reading query takes `atLeast` (a consistency token) and `timeoutMs`; see
schema/consistency.py.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from functools import partial
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.log import RecordedEvent
from domain.streams import ORDERS
from projections.queries import Page
from schema.arguments import identifier, moment, page_size, report_days, search_text
from schema.auth import signed_in, staff_only
from schema.consistency import read_view
from schema.context import Context
from schema.enums import OrderStatus, View
from schema.scalars import Position
from schema.views import (
    Connection,
    Customer,
    DailySales,
    Order,
    Product,
    ProductSales,
    Projection,
)


@strawberry.type
class DomainEvent:
    position: Position
    stream_id: strawberry.ID
    version: int
    type: str = strawberry.field(description='The event type, e.g. "OrderCreated".')
    data: str = strawberry.field(description="The event's payload as a JSON string.")
    payload: JSON = strawberry.field(description="The event's payload, as an object.")
    recorded_at: datetime
    command_id: strawberry.ID | None
    actor: str | None = strawberry.field(description="Who issued the command: a token's sub.")

    @classmethod
    def from_recorded(cls, event: RecordedEvent) -> DomainEvent:
        return cls(
            position=Position(event.position),
            stream_id=strawberry.ID(event.stream_id),
            version=event.version,
            type=event.type,
            data=json.dumps(payload := event.decode().to_data()),
            payload=JSON(payload),
            recorded_at=event.recorded_at,
            command_id=strawberry.ID(event.command_id) if event.command_id else None,
            actor=event.actor,
        )


@strawberry.type
class Query:
    @strawberry.field(description="One order, from ORDER_DETAILS.")
    async def order(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        at_least: Position | None = None,
        timeout_ms: int | None = None,
    ) -> Order | None:
        caller = signed_in(info)
        order_id = identifier(id, "id")
        read = partial(info.context.orders.order, order_id, at_least)
        row = await read_view(info, View.ORDER_DETAILS, at_least, timeout_ms, read, order_id)
        visible = row is not None and caller.may_see_customer(row["customer_id"])
        return Order.from_row(row) if visible else None

    @strawberry.field(description="A customer's orders, newest first, from CUSTOMER_ORDERS.")
    async def customer_orders(
        self,
        info: Info[Context, None],
        customer_id: strawberry.ID,
        first: int | None = 20,
        after: str | None = None,
        status: OrderStatus | None = None,
        at_least: Position | None = None,
        timeout_ms: int | None = None,
    ) -> Connection[Order]:
        caller = signed_in(info)
        customer = identifier(customer_id, "customerId")
        if not caller.may_see_customer(customer):  # as if it had no orders at all
            return Connection.of(Page([], [], has_next_page=False), Order.from_row)
        read = partial(
            info.context.read.customer_orders,
            customer,
            page_size(first),
            after,
            status.value if status else None,
        )
        page = await read_view(info, View.CUSTOMER_ORDERS, at_least, timeout_ms, read, customer)
        return Connection.of(page, Order.from_row)

    @strawberry.field(description="Orders by words and filters, newest first, from ORDER_SEARCH.")
    async def search_orders(
        self,
        info: Info[Context, None],
        text: str | None = None,
        status: OrderStatus | None = None,
        min_total_cents: int | None = None,
        max_total_cents: int | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        first: int | None = 20,
        after: str | None = None,
        at_least: Position | None = None,
        timeout_ms: int | None = None,
    ) -> Connection[Order]:
        caller = signed_in(info)
        read = partial(
            info.context.read.search_orders,
            customer_id=caller.own_customer,  # a customer searches its own orders only
            text_query=search_text(text),
            status=status.value if status else None,
            min_total=min_total_cents,
            max_total=max_total_cents,
            created_from=moment(created_from, "createdFrom"),
            created_to=moment(created_to, "createdTo"),
            first=page_size(first),
            after=after,
        )
        page = await read_view(info, View.ORDER_SEARCH, at_least, timeout_ms, read)
        return Connection.of(page, Order.from_row)

    @strawberry.field(description="One product, from PRODUCT_CATALOG.")
    async def product(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        at_least: Position | None = None,
        timeout_ms: int | None = None,
    ) -> Product | None:
        product_id = identifier(id, "id")
        read = partial(info.context.read.product, product_id)
        row = await read_view(info, View.PRODUCT_CATALOG, at_least, timeout_ms, read, product_id)
        return Product.from_row(row) if row else None

    @strawberry.field(
        description="Products by name, from PRODUCT_CATALOG; `text` matches name or SKU."
    )
    async def products(
        self,
        info: Info[Context, None],
        text: str | None = None,
        first: int | None = 20,
        after: str | None = None,
        at_least: Position | None = None,
        timeout_ms: int | None = None,
    ) -> Connection[Product]:
        read = partial(info.context.read.products, search_text(text), page_size(first), after)
        page = await read_view(info, View.PRODUCT_CATALOG, at_least, timeout_ms, read)
        return Connection.of(page, Product.from_row)

    @strawberry.field(
        description="One customer with order count and lifetime value, from CUSTOMER_SUMMARY."
    )
    async def customer(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        at_least: Position | None = None,
        timeout_ms: int | None = None,
    ) -> Customer | None:
        caller = signed_in(info)
        customer_id = identifier(id, "id")
        if not caller.may_see_customer(customer_id):
            return None
        read = partial(info.context.read.customer, customer_id)
        row = await read_view(info, View.CUSTOMER_SUMMARY, at_least, timeout_ms, read, customer_id)
        return Customer.from_row(row) if row else None

    @strawberry.field(
        description="Sales per UTC day from `from` to `to`, both included, from SALES_REPORT."
    )
    async def sales_report(
        self,
        info: Info[Context, None],
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        at_least: Position | None = None,
        timeout_ms: int | None = None,
    ) -> list[DailySales]:
        staff_only(info, "salesReport")
        read = partial(info.context.read.sales_report, *report_days(from_, to))
        return [
            DailySales.from_row(row)
            for row in await read_view(info, View.SALES_REPORT, at_least, timeout_ms, read)
        ]

    @strawberry.field(description="The best-selling products by revenue, from SALES_REPORT.")
    async def top_products(
        self,
        info: Info[Context, None],
        limit: int | None = 10,
        at_least: Position | None = None,
        timeout_ms: int | None = None,
    ) -> list[ProductSales]:
        staff_only(info, "topProducts")
        read = partial(info.context.read.top_products, page_size(limit, "limit", default=10))
        return [
            ProductSales.from_row(row)
            for row in await read_view(info, View.SALES_REPORT, at_least, timeout_ms, read)
        ]

    @strawberry.field(description="The order's events, oldest first; empty for an unknown order.")
    async def order_history(
        self, info: Info[Context, None], order_id: strawberry.ID
    ) -> list[DomainEvent]:
        staff_only(info, "orderHistory")
        info.context.reads.cacheable = False  # the log is not a view: no notice says it grew
        stream = ORDERS.stream_id(identifier(order_id, "orderId"))
        return [DomainEvent.from_recorded(e) for e in await info.context.store.read_stream(stream)]

    @strawberry.field(description="Every projection's position, lag and health.")
    async def projections(self, info: Info[Context, None]) -> list[Projection]:
        staff_only(info, "projections")
        info.context.reads.cacheable = False
        statuses = await asyncio.to_thread(info.context.projections.operations.statuses)
        return [Projection.from_status(status) for status in statuses]

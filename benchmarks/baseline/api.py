"""The baseline's GraphQL API: our contract's names and types, resolved straight from SQL."""

from __future__ import annotations

import base64
import enum
import json
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import NewType

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from benchmarks.baseline.store import Database, Item, OrderRow, Refused, Written

MAX_PAGE = 100
MAX_LINES = 100
MAX_QUANTITY = 10_000

Position = NewType("Position", int)


@dataclass(frozen=True)
class Context:
    database: Database


@strawberry.enum
class ErrorCode(enum.Enum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    RULE_VIOLATED = "RULE_VIOLATED"
    UNAUTHORIZED = "UNAUTHORIZED"


@strawberry.enum
class OrderStatus(enum.Enum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.type
class CommandError:
    code: ErrorCode
    message: str
    field: str | None = None


@strawberry.type
class CommandResult:
    ok: bool
    command_id: strawberry.ID
    aggregate_id: strawberry.ID | None = None
    version: int | None = None
    position: Position | None = None
    errors: list[CommandError] = strawberry.field(default_factory=list)


@strawberry.input
class RegisterCustomerInput:
    command_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    name: str
    email: str


@strawberry.input
class AddProductInput:
    command_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    sku: str
    name: str
    description: str | None = None
    price_cents: int
    initial_stock: int


@strawberry.input
class OrderItemInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input
class CreateOrderInput:
    command_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None
    customer_id: strawberry.ID
    items: list[OrderItemInput]
    shipping_address: str


@strawberry.type
class OrderItem:
    product_id: strawberry.ID
    product_name: str
    unit_price_cents: int
    quantity: int
    line_total_cents: int

    @classmethod
    def of(cls, item: Item) -> OrderItem:
        """The GraphQL type of a stored line."""
        return cls(
            product_id=strawberry.ID(item.product_id),
            product_name=item.product_name,
            unit_price_cents=item.unit_price_cents,
            quantity=item.quantity,
            line_total_cents=item.unit_price_cents * item.quantity,
        )


@strawberry.type
class Order:
    id: strawberry.ID
    customer_id: strawberry.ID
    customer_name: str
    customer_email: str
    status: OrderStatus
    items: list[OrderItem]
    item_count: int
    total_cents: int
    shipping_address: str
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, row: OrderRow) -> Order:
        """The GraphQL type of a stored order."""
        items = [OrderItem.of(item) for item in row.items]
        return cls(
            id=strawberry.ID(row.id),
            customer_id=strawberry.ID(row.customer_id),
            customer_name=row.customer_name,
            customer_email=row.customer_email,
            status=OrderStatus(row.status),
            items=items,
            item_count=sum(item.quantity for item in items),
            total_cents=sum(item.line_total_cents for item in items),
            shipping_address=row.shipping_address,
            cancel_reason=row.cancel_reason,
            created_at=datetime.fromisoformat(row.created_at),
            updated_at=datetime.fromisoformat(row.updated_at),
            version=row.version,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    nodes: list[Order]
    page_info: PageInfo


def encode_cursor(order: OrderRow) -> str:
    """An opaque cursor holding the page's sort key of this order."""
    return base64.urlsafe_b64encode(json.dumps([order.created_at, order.id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The sort key a cursor holds; a ValueError (a GraphQL error) when it is not one."""
    try:
        created_at, order_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise ValueError("not a cursor of this list") from None
    return str(created_at), str(order_id)


def given_uuid(value: str | None, field: str) -> str:
    """A client-chosen id in canonical form, or a new one."""
    if value is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Refused("VALIDATION", "must be a UUID", field) from None


def order_lines(input: CreateOrderInput) -> list[tuple[str, int]]:
    """The lines of an order as (product id, quantity), refused when they break a rule."""
    if not 1 <= len(input.items) <= MAX_LINES:
        raise Refused("VALIDATION", f"must have 1 to {MAX_LINES} lines", "items")
    lines: dict[str, int] = {}
    for n, item in enumerate(input.items):
        product_id = given_uuid(item.product_id, f"items.{n}.productId")
        if product_id in lines:
            raise Refused("VALIDATION", "appears in an earlier line", f"items.{n}.productId")
        if not 1 <= item.quantity <= MAX_QUANTITY:
            message = f"must be between 1 and {MAX_QUANTITY}"
            raise Refused("VALIDATION", message, f"items.{n}.quantity")
        lines[product_id] = item.quantity
    return list(lines.items())


def text(value: str, field: str) -> str:
    """A required text, refused when blank."""
    if not value.strip():
        raise Refused("VALIDATION", "must not be blank", field)
    return value


async def command(command_id: str | None, write: Awaitable[Written]) -> CommandResult:
    """Runs a write and answers with its CommandResult, a refusal as an error in it."""
    key = strawberry.ID(command_id or str(uuid.uuid4()))
    try:
        written = await write
    except Refused as refusal:
        error = CommandError(
            code=ErrorCode(refusal.code), message=refusal.message, field=refusal.field
        )
        return CommandResult(ok=False, command_id=key, errors=[error])
    return CommandResult(
        ok=True,
        command_id=key,
        aggregate_id=strawberry.ID(written.aggregate_id),
        version=written.version,
        position=Position(written.position),
    )


async def register_customer(database: Database, input: RegisterCustomerInput) -> Written:
    """Checks the input, then stores the customer."""
    return await database.register_customer(
        given_uuid(input.customer_id, "customerId"),
        text(input.name, "name"),
        text(input.email, "email"),
    )


async def add_product(database: Database, input: AddProductInput) -> Written:
    """Checks the input, then stores the product."""
    for field, value in (("priceCents", input.price_cents), ("initialStock", input.initial_stock)):
        if value < 0:
            raise Refused("VALIDATION", "must not be negative", field)
    return await database.add_product(
        given_uuid(input.product_id, "productId"),
        text(input.sku, "sku"),
        text(input.name, "name"),
        input.description,
        input.price_cents,
        input.initial_stock,
    )


async def create_order(database: Database, input: CreateOrderInput) -> Written:
    """Checks the input, then stores the order and reserves its stock."""
    return await database.create_order(
        given_uuid(input.order_id, "orderId"),
        given_uuid(input.customer_id, "customerId"),
        order_lines(input),
        text(input.shipping_address, "shippingAddress"),
    )


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register_customer(
        self, info: Info[Context, None], input: RegisterCustomerInput
    ) -> CommandResult:
        return await command(input.command_id, register_customer(info.context.database, input))

    @strawberry.mutation
    async def add_product(self, info: Info[Context, None], input: AddProductInput) -> CommandResult:
        return await command(input.command_id, add_product(info.context.database, input))

    @strawberry.mutation
    async def create_order(
        self, info: Info[Context, None], input: CreateOrderInput
    ) -> CommandResult:
        return await command(input.command_id, create_order(info.context.database, input))


@strawberry.type
class Query:
    @strawberry.field
    async def order(self, info: Info[Context, None], id: strawberry.ID) -> Order | None:
        row = await info.context.database.order(id)
        return Order.of(row) if row else None

    @strawberry.field
    async def customer_orders(
        self,
        info: Info[Context, None],
        customer_id: strawberry.ID,
        first: int | None = 20,
        after: str | None = None,
    ) -> OrderConnection:
        size = 20 if first is None else first
        if not 1 <= size <= MAX_PAGE:
            raise ValueError(f"first must be between 1 and {MAX_PAGE}")
        key = decode_cursor(after) if after is not None else None
        rows, more = await info.context.database.customer_orders(customer_id, size, key)
        cursors = [encode_cursor(row) for row in rows]
        nodes = [Order.of(row) for row in rows]
        return OrderConnection(
            edges=[OrderEdge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
            nodes=nodes,
            page_info=PageInfo(has_next_page=more, end_cursor=cursors[-1] if cursors else None),
        )


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    config=StrawberryConfig(
        scalar_map={
            Position: strawberry.scalar(
                name="Position", serialize=str, parse_value=lambda value: Position(int(value))
            )
        }
    ),
    extensions=[ParserCache, ValidationCache],
)


class BaselineGraphQL(GraphQL[Context, None]):
    def __init__(self, database: Database) -> None:
        super().__init__(schema, graphql_ide=None)
        self._context = Context(database)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return self._context


def create_app(database_path: str) -> Starlette:
    """The baseline app on the SQLite file at `database_path` (created when missing)."""
    database = Database(database_path)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await database.open()
        try:
            yield
        finally:
            await database.close()

    graphql = BaselineGraphQL(database)
    return Starlette(
        routes=[Route("/graphql", graphql, methods=["GET", "POST"])], lifespan=lifespan
    )

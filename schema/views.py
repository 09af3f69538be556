"""Output types of the queries: each mirrors a view row and is built by `from_row`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import strawberry

from domain.utc import as_utc
from projections.queries import Page
from projections.status import Status
from schema.enums import OrderStatus, ProjectionState, View
from schema.scalars import Position

Row = dict[str, Any]
Node = TypeVar("Node")


@strawberry.type
class OrderItem:
    product_id: strawberry.ID
    product_name: str = strawberry.field(description="As it was when the order was placed.")
    unit_price_cents: int = strawberry.field(description="As it was when the order was placed.")
    quantity: int
    line_total_cents: int

    @classmethod
    def from_row(cls, row: Row) -> OrderItem:
        return cls(**{**row, "product_id": strawberry.ID(row["product_id"])})


@strawberry.type
class Order:
    id: strawberry.ID
    customer_id: strawberry.ID
    customer_name: str
    customer_email: str
    status: OrderStatus
    items: list[OrderItem]
    item_count: int = strawberry.field(description="The sum of the quantities.")
    total_cents: int
    shipping_address: str
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(description="The order stream's version this row reflects.")

    @classmethod
    def from_row(cls, row: Row) -> Order:
        return cls(
            id=strawberry.ID(row["order_id"]),
            customer_id=strawberry.ID(row["customer_id"]),
            customer_name=row["customer_name"],
            customer_email=row["customer_email"],
            status=OrderStatus(row["status"]),
            items=[OrderItem.from_row(item) for item in row["items"]],
            item_count=row["item_count"],
            total_cents=row["total_cents"],
            shipping_address=row["shipping_address"],
            cancel_reason=row["cancel_reason"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=row["version"],
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, page: Page) -> PageInfo:
        return cls(
            has_next_page=page.has_next_page, end_cursor=page.cursors[-1] if page.cursors else None
        )


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    """A page of a list; served as OrderConnection, ProductConnection (strawberry names it)."""

    edges: list[Edge[Node]]
    nodes: list[Node]
    page_info: PageInfo

    @classmethod
    def of(cls, page: Page, node: Callable[[Row], Node]) -> Connection[Node]:
        nodes = [node(row) for row in page.rows]
        edges = [Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)]
        return cls(edges=edges, nodes=nodes, page_info=PageInfo.of(page))


@strawberry.type
class Product:
    id: strawberry.ID
    sku: str
    name: str
    description: str | None
    price_cents: int
    stock_on_hand: int = strawberry.field(description="Received minus shipped.")
    reserved: int = strawberry.field(description="Held by open orders.")
    available: int = strawberry.field(description="stockOnHand - reserved.")
    version: int

    @classmethod
    def from_row(cls, row: Row) -> Product:
        fields = (
            "sku",
            "name",
            "description",
            "price_cents",
            "stock_on_hand",
            "reserved",
            "available",
            "version",
        )
        return cls(id=strawberry.ID(row["product_id"]), **{field: row[field] for field in fields})


@strawberry.type
class Customer:
    id: strawberry.ID
    name: str
    email: str
    order_count: int = strawberry.field(description="Orders placed, cancelled ones included.")
    lifetime_value_cents: int = strawberry.field(description="The total of orders not cancelled.")

    @classmethod
    def from_row(cls, row: Row) -> Customer:
        return cls(
            **{k: v for k, v in row.items() if k != "customer_id"},
            id=strawberry.ID(row["customer_id"]),
        )


@strawberry.type(description="Orders by the UTC day they were placed, cancelled ones left out.")
class DailySales:
    day: date
    orders: int
    items_sold: int
    revenue_cents: int

    @classmethod
    def from_row(cls, row: Row) -> DailySales:
        return cls(**{**row, "day": date.fromisoformat(row["day"])})


@strawberry.type
class ProductSales:
    product_id: strawberry.ID
    product_name: str
    units_sold: int
    revenue_cents: int

    @classmethod
    def from_row(cls, row: Row) -> ProductSales:
        return cls(**{**row, "product_id": strawberry.ID(row["product_id"])})


@strawberry.type
class Projection:
    name: str = strawberry.field(description='e.g. "order_details".')
    view: View | None
    position: Position = strawberry.field(description="The last event position applied.")
    head_position: Position = strawberry.field(description="The last position in the event log.")
    lag: int = strawberry.field(description="Events behind the head.")
    state: ProjectionState
    error: str | None = strawberry.field(
        description="The last failure, with the failing event's position."
    )
    updated_at: datetime | None

    @classmethod
    def from_status(cls, status: Status) -> Projection:
        return cls(
            name=status.projection.name,
            view=View(status.projection.view) if status.projection.view else None,
            position=Position(status.live.position),
            head_position=Position(status.head),
            lag=status.lag,
            state=ProjectionState(status.state),
            error=status.live.error,
            updated_at=as_utc(status.live.updated_at) if status.live.updated_at else None,
        )

"""The order row that ORDER_DETAILS, CUSTOMER_ORDERS and ORDER_SEARCH each keep a copy of.

Each of the three views is its own projection with its own tables (so each can be
rebuilt alone); they share the shape of a row and the pure code that builds it.
"""

from datetime import datetime
from typing import Any

from sqlmodel import JSON, Field, SQLModel

from domain.events import (
    STATUS_AFTER,
    CustomerRegistered,
    Event,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderShipped,
    OrderStatus,
)
from domain.log import RecordedEvent
from projections.projection import Change, Put, Row, RowKey, Rows

ORDER_EVENTS = frozenset(
    {CustomerRegistered, OrderCreated, OrderConfirmed, OrderShipped, OrderDelivered, OrderCancelled}
)
StatusEvent = OrderConfirmed | OrderShipped | OrderDelivered | OrderCancelled


class OrderColumns(SQLModel):
    order_id: str = Field(primary_key=True)
    customer_id: str
    customer_name: str
    customer_email: str
    status: str
    items: list[dict[str, Any]] = Field(sa_type=JSON)
    item_count: int
    total_cents: int
    shipping_address: str
    cancel_reason: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int


class CustomerColumns(SQLModel):
    customer_id: str = Field(primary_key=True)
    name: str
    email: str


def order_needs(orders: str, customers: str, event: Event, _meta: RecordedEvent) -> list[RowKey]:
    if isinstance(event, OrderCreated):
        return [(customers, event.customer_id)]
    if isinstance(event, StatusEvent):
        return [(orders, event.order_id)]
    return []


def project_order(
    orders: str, customers: str, event: Event, meta: RecordedEvent, rows: Rows
) -> list[Change]:
    """Row changes for one event, in a view whose tables are named `orders` and `customers`."""
    if isinstance(event, CustomerRegistered):
        return [
            Put(
                customers,
                {"customer_id": event.customer_id, "name": event.name, "email": event.email},
            )
        ]
    if isinstance(event, OrderCreated):
        return [Put(orders, created_row(event, meta, rows.get(customers, event.customer_id)))]
    if not isinstance(event, StatusEvent) or (row := rows.get(orders, event.order_id)) is None:
        return []
    status = STATUS_AFTER[type(event)]
    row |= {"status": status.value, "updated_at": meta.recorded_at, "version": meta.version}
    if isinstance(event, OrderCancelled):
        row["cancel_reason"] = event.reason
    return [Put(orders, row)]


def created_row(event: OrderCreated, meta: RecordedEvent, customer: Row | None) -> Row:
    items = [
        {
            "product_id": line.product_id,
            "product_name": line.product_name,
            "unit_price_cents": line.unit_price_cents,
            "quantity": line.quantity,
            "line_total_cents": line.unit_price_cents * line.quantity,
        }
        for line in event.lines
    ]
    return {
        "order_id": event.order_id,
        "customer_id": event.customer_id,
        "customer_name": customer["name"] if customer else "",
        "customer_email": customer["email"] if customer else "",
        "status": OrderStatus.PENDING.value,
        "items": items,
        "item_count": sum(item["quantity"] for item in items),
        "total_cents": sum(item["line_total_cents"] for item in items),
        "shipping_address": event.shipping_address,
        "cancel_reason": None,
        "created_at": meta.recorded_at,
        "updated_at": meta.recorded_at,
        "version": meta.version,
    }

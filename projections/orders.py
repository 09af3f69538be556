"""The order row that ORDER_DETAILS, CUSTOMER_ORDERS and ORDER_SEARCH each keep a copy of.

Each of the three views is its own projection with its own tables (so each can be
rebuilt alone); they share the shape of a row and the pure code that builds it.
"""

from collections.abc import Mapping
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
from projections.set_based import IN_RANGE

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


# An order's lines as the view keeps them (`created_row`), from its OrderCreated payload.
_LINES = "json_each(o.data, '$.lines') line"  # o: the OrderCreated event
_PRICE, _QUANTITY = "(line.value ->> '$.unit_price_cents')", "(line.value ->> '$.quantity')"
# Each line as it was ordered, with its total added: keys in the order `created_row` gives.
_ITEMS = f"""(SELECT json_group_array(
    json_set(line.value, '$.line_total_cents', {_PRICE} * {_QUANTITY})
) FROM {_LINES})"""
_ITEM_COUNT = f"(SELECT coalesce(sum({_QUANTITY}), 0) FROM {_LINES})"
_TOTAL = f"(SELECT coalesce(sum({_PRICE} * {_QUANTITY}), 0) FROM {_LINES})"
_NAMES = f"(SELECT coalesce(group_concat(line.value ->> '$.product_name', ' '), '') FROM {_LINES})"
_STATUS_AFTER = {cls.__name__: status.value for cls, status in STATUS_AFTER.items()}


def order_rows_set_based(
    orders: str, customers: str, tables: Mapping[str, str], events: str, *, words: str = ""
) -> list[str]:
    """The customers registered and the orders created in the range, then each order moved
    in it (created in it or before) on to its last status there (projections/set_based.py);
    `words`, an SQL expression over the new row's customer name and e-mail, product names
    and address, fills a `words` column too."""
    words_column, words_value = "", ""
    if words:
        words_column = ", words"
        words_value = ", " + words.format(
            name="coalesce(c.name, '')",
            email="coalesce(c.email, '')",
            names=_NAMES,
            address="(o.data ->> '$.shipping_address')",
        )
    statuses = " ".join(
        f"WHEN '{event}' THEN '{status}'" for event, status in _STATUS_AFTER.items()
    )
    return [
        f"""
        INSERT INTO {tables[customers]} (customer_id, name, email)
        SELECT data ->> '$.customer_id', data ->> '$.name', data ->> '$.email'
        FROM {events} WHERE type = 'CustomerRegistered' AND {IN_RANGE}
        """,
        f"""
        INSERT INTO {tables[orders]} (order_id, customer_id, customer_name, customer_email,
            status, items, item_count, total_cents, shipping_address, cancel_reason,
            created_at, updated_at, version{words_column})
        SELECT o.data ->> '$.order_id', o.data ->> '$.customer_id',
               coalesce(c.name, ''), coalesce(c.email, ''), '{OrderStatus.PENDING.value}',
               {_ITEMS}, {_ITEM_COUNT}, {_TOTAL}, o.data ->> '$.shipping_address', NULL,
               o.recorded_at, o.recorded_at, o.version{words_value}
        FROM {events} o
        LEFT JOIN {tables[customers]} c ON c.customer_id = o.data ->> '$.customer_id'
        WHERE o.type = 'OrderCreated' AND o.{IN_RANGE}
        ORDER BY 1  -- the primary key's index filled in order
        """,
        f"""
        WITH moved AS (  -- each order's last move: the status and version it left
            SELECT data ->> '$.order_id' AS order_id, max(position), type, version, recorded_at
            FROM {events}
            WHERE type IN ({", ".join(f"'{event}'" for event in _STATUS_AFTER)}) AND {IN_RANGE}
            GROUP BY 1
        )
        UPDATE {tables[orders]}
        SET status = CASE m.type {statuses} END, updated_at = m.recorded_at, version = m.version
        FROM moved m WHERE m.order_id = {tables[orders]}.order_id
        """,
        f"""
        WITH cancelled AS (
            SELECT data ->> '$.order_id' AS order_id, max(position), data ->> '$.reason' AS reason
            FROM {events} WHERE type = 'OrderCancelled' AND {IN_RANGE} GROUP BY 1
        )
        UPDATE {tables[orders]} SET cancel_reason = x.reason
        FROM cancelled x WHERE x.order_id = {tables[orders]}.order_id
        """,
    ]

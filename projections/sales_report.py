"""SALES_REPORT: per UTC day, orders placed, items sold and revenue; per product, units and
revenue. An order cancelled later leaves the figures of the day it was placed."""

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from sqlalchemy import Index
from sqlmodel import JSON, Field, SQLModel

from domain.events import Event, OrderCancelled, OrderCreated
from domain.log import RecordedEvent
from projections.projection import Change, Projection, Put, Row, RowKey, Rows, table_of
from projections.set_based import IN_RANGE, SetBased, inserted_in_range

DAYS, PRODUCTS, ORDERS = "sales_daily", "sales_products", "sales_orders"


class DailySales(SQLModel, table=True):
    __tablename__ = "sales_daily"
    day: str = Field(primary_key=True)  # ISO date, UTC
    orders: int
    items_sold: int
    revenue_cents: int


class ProductSales(SQLModel, table=True):
    __tablename__ = "sales_products"
    __table_args__ = (Index("ix_sales_products_revenue", "revenue_cents", "product_id"),)
    product_id: str = Field(primary_key=True)
    product_name: str
    units_sold: int
    revenue_cents: int


class SoldOrder(SQLModel, table=True):
    """What a cancellation must take back out, and from which day."""

    __tablename__ = "sales_orders"
    order_id: str = Field(primary_key=True)
    day: str
    lines: list[dict[str, Any]] = Field(sa_type=JSON)


def needs(event: Event, meta: RecordedEvent) -> list[RowKey]:
    if isinstance(event, OrderCreated):
        return [(DAYS, day_of(meta)), *((PRODUCTS, line.product_id) for line in event.lines)]
    if isinstance(event, OrderCancelled):
        return [(ORDERS, event.order_id)]
    return []


def project(event: Event, meta: RecordedEvent, rows: Rows) -> list[Change]:
    if isinstance(event, OrderCreated):
        lines = [
            {
                "product_id": line.product_id,
                "product_name": line.product_name,
                "quantity": line.quantity,
                "revenue_cents": line.unit_price_cents * line.quantity,
            }
            for line in event.lines
        ]
        sold = {"order_id": event.order_id, "day": day_of(meta), "lines": lines}
        return [*_count(rows, day_of(meta), lines, sign=1), Put(ORDERS, sold)]
    if isinstance(event, OrderCancelled) and (order := rows.get(ORDERS, event.order_id)):
        return _count(rows, order["day"], order["lines"], sign=-1)
    return []


def day_of(meta: RecordedEvent) -> str:
    return meta.recorded_at.astimezone(UTC).date().isoformat()


def _count(rows: Rows, day: str, lines: list[Row], *, sign: int) -> list[Change]:
    """Add (sign 1) or take back (sign -1) one order's lines to its day and its products."""
    daily = rows.get(DAYS, day) or {"day": day, "orders": 0, "items_sold": 0, "revenue_cents": 0}
    daily["orders"] += sign
    changes: list[Change] = []
    for line in lines:
        daily["items_sold"] += sign * line["quantity"]
        daily["revenue_cents"] += sign * line["revenue_cents"]
        product = rows.get(PRODUCTS, line["product_id"]) or {
            "product_id": line["product_id"],
            "units_sold": 0,
            "revenue_cents": 0,
        }
        if sign > 0 or "product_name" not in product:  # the name as most recently ordered
            product["product_name"] = line["product_name"]
        product["units_sold"] += sign * line["quantity"]
        product["revenue_cents"] += sign * line["revenue_cents"]
        changes.append(Put(PRODUCTS, product))
    return [Put(DAYS, daily), *changes]


def set_based(tables: Mapping[str, str], events: str) -> list[str]:
    """Every order sold in the range, in the order placed; then the sums over the orders
    placed in it and, negated, those cancelled in it, added to their days and products
    (projections/set_based.py). Recorded times are UTC text: a day is its first ten
    characters."""
    days, products, orders = tables[DAYS], tables[PRODUCTS], tables[ORDERS]
    price, quantity = "(line.value ->> '$.unit_price_cents')", "(line.value ->> '$.quantity')"
    signed = f"""
        WITH signed AS (  -- each order placed in the range, and negated, each cancelled in it
            SELECT rowid AS placed, day, lines, 1 AS sign
            FROM {orders} WHERE {inserted_in_range(ORDERS)}
            UNION ALL
            SELECT o.rowid, o.day, o.lines, -1
            FROM {events} e JOIN {orders} o ON o.order_id = e.data ->> '$.order_id'
            WHERE e.type = 'OrderCancelled' AND e.{IN_RANGE}
        )"""
    return [
        f"""
        INSERT INTO {orders} (order_id, day, lines)
        SELECT data ->> '$.order_id', substr(recorded_at, 1, 10),
               (SELECT json_group_array(json_set(  -- keys in the projector's order
                    json_remove(line.value, '$.unit_price_cents'),
                    '$.revenue_cents', {price} * {quantity}))
                FROM json_each(data, '$.lines') line)
        FROM {events} WHERE type = 'OrderCreated' AND {IN_RANGE}
        ORDER BY position  -- rowids in the order placed: the last name a product sold under
        """,
        f"""{signed}
        INSERT INTO {days} (day, orders, items_sold, revenue_cents)
        SELECT s.day, sum(CASE line.key WHEN 0 THEN s.sign ELSE 0 END),  -- once an order
               sum(s.sign * (line.value ->> '$.quantity')),
               sum(s.sign * (line.value ->> '$.revenue_cents'))
        FROM signed s, json_each(s.lines) line WHERE true GROUP BY s.day
        ON CONFLICT (day) DO UPDATE SET orders = orders + excluded.orders,
            items_sold = items_sold + excluded.items_sold,
            revenue_cents = revenue_cents + excluded.revenue_cents
        """,
        f"""{signed}, sold AS (
            SELECT line.value ->> '$.product_id' AS product_id,
                   max(CASE WHEN s.sign > 0 THEN s.placed END) AS placed,
                   line.value ->> '$.product_name' AS product_name,  -- of the last placed
                   sum(s.sign * (line.value ->> '$.quantity')) AS units,
                   sum(s.sign * (line.value ->> '$.revenue_cents')) AS revenue
            FROM signed s, json_each(s.lines) line GROUP BY 1
        )
        INSERT INTO {products} (product_id, product_name, units_sold, revenue_cents)
        SELECT s.product_id, CASE WHEN s.placed IS NULL THEN p.product_name  -- none placed
                                  ELSE s.product_name END, s.units, s.revenue
        FROM sold s LEFT JOIN {products} p USING (product_id) WHERE true
        ON CONFLICT (product_id) DO UPDATE SET product_name = excluded.product_name,
            units_sold = units_sold + excluded.units_sold,
            revenue_cents = revenue_cents + excluded.revenue_cents
        """,
    ]


PROJECTION = Projection(
    name="sales_report",
    version=1,
    view="SALES_REPORT",
    tables=(table_of(DailySales), table_of(ProductSales), table_of(SoldOrder)),
    handles=frozenset({OrderCreated, OrderCancelled}),
    project=project,
    needs=needs,
    set_based=SetBased(set_based),
)

"""CUSTOMER_SUMMARY: per customer, orders placed (cancelled ones included) and lifetime value
(cancelled ones excluded)."""

from collections.abc import Mapping

from sqlmodel import Field, SQLModel

from domain.events import CustomerRegistered, Event, OrderCancelled, OrderCreated
from domain.log import RecordedEvent
from projections.projection import Change, Projection, Put, RowKey, Rows, table_of
from projections.set_based import IN_RANGE, SetBased, inserted_in_range

CUSTOMERS, ORDERS = "customer_summary", "customer_summary_orders"


class CustomerSummary(SQLModel, table=True):
    __tablename__ = "customer_summary"
    customer_id: str = Field(primary_key=True)
    name: str
    email: str
    order_count: int
    lifetime_value_cents: int


class CustomerSummaryOrder(SQLModel, table=True):
    """What a cancellation must take back out of its customer's value."""

    __tablename__ = "customer_summary_orders"
    order_id: str = Field(primary_key=True)
    customer_id: str
    total_cents: int


def needs(event: Event, _meta: RecordedEvent) -> list[RowKey]:
    if isinstance(event, OrderCreated):
        return [(CUSTOMERS, event.customer_id)]
    if isinstance(event, OrderCancelled):
        return [(ORDERS, event.order_id)]
    return []


def project(event: Event, _meta: RecordedEvent, rows: Rows) -> list[Change]:
    if isinstance(event, CustomerRegistered):
        row = {"customer_id": event.customer_id, "name": event.name, "email": event.email}
        return [Put(CUSTOMERS, row | {"order_count": 0, "lifetime_value_cents": 0})]
    if isinstance(event, OrderCreated) and (customer := rows.get(CUSTOMERS, event.customer_id)):
        total = sum(line.unit_price_cents * line.quantity for line in event.lines)
        customer["order_count"] += 1
        customer["lifetime_value_cents"] += total
        order = {"order_id": event.order_id, "customer_id": event.customer_id, "total_cents": total}
        return [Put(CUSTOMERS, customer), Put(ORDERS, order)]
    cancelled = rows.get(ORDERS, event.order_id) if isinstance(event, OrderCancelled) else None
    if cancelled and (customer := rows.get(CUSTOMERS, cancelled["customer_id"])):
        customer["lifetime_value_cents"] -= cancelled["total_cents"]
        return [Put(CUSTOMERS, customer)]
    return []


def set_based(tables: Mapping[str, str], events: str) -> list[str]:
    """The customers registered in the range, each order of a known customer created in it
    with its total, then per customer the orders created in the range counted and their
    totals added, less those of the orders cancelled in it (projections/set_based.py)."""
    customers, orders = tables[CUSTOMERS], tables[ORDERS]
    return [
        f"""
        INSERT INTO {customers} (customer_id, name, email, order_count, lifetime_value_cents)
        SELECT data ->> '$.customer_id', data ->> '$.name', data ->> '$.email', 0, 0
        FROM {events} WHERE type = 'CustomerRegistered' AND {IN_RANGE}
        """,
        f"""
        INSERT INTO {orders} (order_id, customer_id, total_cents)
        SELECT e.data ->> '$.order_id', c.customer_id,
               (SELECT coalesce(sum((line.value ->> '$.unit_price_cents')
                                    * (line.value ->> '$.quantity')), 0)
                FROM json_each(e.data, '$.lines') line)
        FROM {events} e JOIN {customers} c ON c.customer_id = e.data ->> '$.customer_id'
        WHERE e.type = 'OrderCreated' AND e.{IN_RANGE}
        ORDER BY 1  -- the primary key's index filled in order
        """,
        f"""
        WITH placed AS (
            SELECT customer_id, count(*) AS orders, sum(total_cents) AS value
            FROM {orders} WHERE {inserted_in_range(ORDERS)} GROUP BY customer_id
        )
        UPDATE {customers}
        SET order_count = order_count + p.orders,
            lifetime_value_cents = lifetime_value_cents + p.value
        FROM placed p WHERE p.customer_id = {customers}.customer_id
        """,
        f"""
        WITH cancelled AS (
            SELECT o.customer_id, sum(o.total_cents) AS value
            FROM {events} e JOIN {orders} o ON o.order_id = e.data ->> '$.order_id'
            WHERE e.type = 'OrderCancelled' AND e.{IN_RANGE}
            GROUP BY o.customer_id
        )
        UPDATE {customers} SET lifetime_value_cents = lifetime_value_cents - x.value
        FROM cancelled x WHERE x.customer_id = {customers}.customer_id
        """,
    ]


PROJECTION = Projection(
    name="customer_summary",
    version=1,
    view="CUSTOMER_SUMMARY",
    tables=(table_of(CustomerSummary), table_of(CustomerSummaryOrder)),
    handles=frozenset({CustomerRegistered, OrderCreated, OrderCancelled}),
    project=project,
    needs=needs,
    set_based=SetBased(set_based),
)

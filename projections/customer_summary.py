"""CUSTOMER_SUMMARY: per customer, orders placed (cancelled ones included) and lifetime value
(cancelled ones excluded)."""

from sqlmodel import Field, SQLModel

from domain.events import CustomerRegistered, Event, OrderCancelled, OrderCreated
from domain.log import RecordedEvent
from projections.projection import Change, Projection, Put, RowKey, Rows, table_of

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


PROJECTION = Projection(
    name="customer_summary",
    version=1,
    view="CUSTOMER_SUMMARY",
    tables=(table_of(CustomerSummary), table_of(CustomerSummaryOrder)),
    handles=frozenset({CustomerRegistered, OrderCreated, OrderCancelled}),
    project=project,
    needs=needs,
)

"""A reaction, not a view: on OrderCreated, put an order-confirmation e-mail in the outbox.

It runs as a projection, so it inherits their guarantee: the outbox row and the checkpoint
move in one transaction, and each order gets exactly one e-mail however often the worker
runs. A mailer (not part of this service) would send the rows and fill in `sent_at`.
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from domain.events import CustomerRegistered, Event, OrderCreated
from domain.log import RecordedEvent
from projections.projection import Change, Projection, Put, RowKey, Rows, table_of

OUTBOX, CUSTOMERS = "outbox_emails", "outbox_customers"


class OutboxEmail(SQLModel, table=True):
    __tablename__ = "outbox_emails"
    order_id: str = Field(primary_key=True)  # one confirmation per order
    recipient: str
    subject: str
    body: str
    queued_at: datetime
    sent_at: datetime | None = None


class OutboxCustomer(SQLModel, table=True):
    __tablename__ = "outbox_customers"
    customer_id: str = Field(primary_key=True)
    name: str
    email: str


def needs(event: Event, _meta: RecordedEvent) -> list[RowKey]:
    return [(CUSTOMERS, event.customer_id)] if isinstance(event, OrderCreated) else []


def project(event: Event, meta: RecordedEvent, rows: Rows) -> list[Change]:
    if isinstance(event, CustomerRegistered):
        return [
            Put(
                CUSTOMERS,
                {"customer_id": event.customer_id, "name": event.name, "email": event.email},
            )
        ]
    if (
        not isinstance(event, OrderCreated)
        or (customer := rows.get(CUSTOMERS, event.customer_id)) is None
    ):
        return []
    total = sum(line.unit_price_cents * line.quantity for line in event.lines)
    lines = "\n".join(f"  {line.quantity} x {line.product_name}" for line in event.lines)
    body = (
        f"Dear {customer['name']},\n\nthank you for your order {event.order_id}:\n{lines}\n"
        f"Total: {total / 100:.2f}\nShipping to: {event.shipping_address}\n"
    )
    email = {
        "order_id": event.order_id,
        "recipient": customer["email"],
        "subject": "Your order is confirmed",
        "body": body,
        "queued_at": meta.recorded_at,
        "sent_at": None,
    }
    return [Put(OUTBOX, email)]


PROJECTION = Projection(
    name="confirmation_emails",
    version=1,
    view=None,
    tables=(table_of(OutboxEmail), table_of(OutboxCustomer)),
    handles=frozenset({CustomerRegistered, OrderCreated}),
    project=project,
    needs=needs,
    rebuildable=False,  # a rebuilt outbox would queue every e-mail again
)

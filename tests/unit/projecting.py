"""Playing events through a projector the way the engine does, with view tables in memory.

`Views(projection).play(...)` is one batch: it records each event in a log (a position per
event, a version per stream), loads the rows `needs` names, projects each handled event
(fetching on demand any row it was not given, as the engine does on MissingRow) and then
writes the batch's changed rows back to the tables.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.events import (
    CustomerRegistered,
    Event,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderLine,
    OrderShipped,
    ProductAdded,
    type_name,
)
from domain.log import RecordedEvent
from projections.projection import Change, MissingRow, Projection, Row, RowKey, Rows

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
Played = tuple[Event, datetime]


def at(minutes: int) -> datetime:
    """A moment `minutes` after T0."""
    return T0 + timedelta(minutes=minutes)


def stream_of(event: Event) -> str:
    """The stream the domain appends `event` to (stock events belong to their product)."""
    for attribute, prefix in (
        ("product_id", "product-"),
        ("order_id", "order-"),
        ("customer_id", "customer-"),
    ):
        if hasattr(event, attribute):
            return prefix + getattr(event, attribute)
    raise ValueError(f"no stream for {event!r}")


class Log:
    """Records events as the event store would: increasing positions, per-stream versions."""

    def __init__(self) -> None:
        self._position = 0
        self._versions: Counter[str] = Counter()

    def record(self, event: Event, recorded_at: datetime) -> RecordedEvent:
        stream = stream_of(event)
        self._position += 1
        self._versions[stream] += 1
        return RecordedEvent(
            position=self._position,
            stream_id=stream,
            version=self._versions[stream],
            type=type_name(event),
            schema_version=type(event).schema_version,
            data=event.to_data(),
            command_id=None,
            correlation_id=None,
            causation_id=None,
            actor=None,
            recorded_at=recorded_at,
        )


class Views:
    """A projection's tables in memory, filled batch by batch as the engine fills them."""

    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self.tables: dict[str, dict[Any, Row]] = defaultdict(dict)
        self.misses: list[RowKey] = []  # rows fetched on demand: `needs` did not name them
        self._log = Log()
        self._keys = {t.name: next(iter(t.primary_key.columns)).name for t in projection.tables}

    def play(self, *history: Played) -> Views:
        """Apply `history` as one batch."""
        recorded = [self._log.record(event, when) for event, when in history]
        relevant = [r for r in recorded if r.type in self.projection.handled_types]
        rows = Rows()
        for recorded_event in relevant:
            for key in self.projection.needs(recorded_event.decode(), recorded_event):
                rows.load(key, self._stored(key))
        dirty: set[RowKey] = set()
        for recorded_event in relevant:
            for change in self._project(recorded_event, rows):
                dirty.add(rows.apply(change, self._key_of))
        for table, key in dirty:
            self._write(table, key, rows.current((table, key)))
        return self

    def row(self, table: str, key: Any) -> Row | None:
        return self.tables[table].get(key)

    def _project(self, recorded: RecordedEvent, rows: Rows) -> list[Change]:
        event = recorded.decode()
        while True:
            try:
                return self.projection.project(event, recorded, rows)
            except MissingRow as missing:
                self.misses.append(missing.key)
                rows.load(missing.key, self._stored(missing.key))

    def _stored(self, key: RowKey) -> Row | None:
        row = self.tables[key[0]].get(key[1])
        return dict(row) if row is not None else None

    def _write(self, table: str, key: Any, row: Row | None) -> None:
        if row is None:
            self.tables[table].pop(key, None)
        else:
            self.tables[table][key] = row

    def _key_of(self, table: str, row: Row) -> Any:
        return row[self._keys[table]]


def play(projection: Projection, *history: Played) -> Views:
    """The view after `history`, applied as one batch."""
    return Views(projection).play(*history)


# --- events -------------------------------------------------------------------------------


def registered(customer: str = "c1", name: str = "Ada Lovelace", email: str = "ada@example.com"):
    return CustomerRegistered(customer_id=customer, name=name, email=email)


def added(product: str = "p1", name: str = "Mug", price: int = 900, stock: int = 10):
    return ProductAdded(
        product_id=product,
        sku=f"SKU-{product}",
        name=name,
        description=None,
        price_cents=price,
        initial_stock=stock,
    )


def line(product: str = "p1", name: str = "Mug", price: int = 900, quantity: int = 1) -> OrderLine:
    return OrderLine(
        product_id=product, product_name=name, unit_price_cents=price, quantity=quantity
    )


def created(
    order: str = "o1",
    customer: str = "c1",
    *lines: OrderLine,
    address: str = "12 Analytical Row, London",
) -> OrderCreated:
    return OrderCreated(
        order_id=order,
        customer_id=customer,
        lines=lines or (line(),),
        shipping_address=address,
    )


def confirmed(order: str = "o1") -> OrderConfirmed:
    return OrderConfirmed(order_id=order)


def shipped(order: str = "o1") -> OrderShipped:
    return OrderShipped(order_id=order)


def delivered(order: str = "o1") -> OrderDelivered:
    return OrderDelivered(order_id=order)


def cancelled(order: str = "o1", reason: str = "changed my mind") -> OrderCancelled:
    return OrderCancelled(order_id=order, reason=reason)

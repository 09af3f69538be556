"""Events: facts in the past tense, plain values that serialize as they are.

Each event type has a schema version. Payloads written under an older version are
upcast on read, so a new event shape never needs a migration of the log.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from domain.plain import plain

Data = dict[str, Any]


class OrderStatus(enum.StrEnum):
    """Where an order stands; commands ask for one, events and views record it."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, kw_only=True)
class Event:
    schema_version: ClassVar[int] = 1

    @classmethod
    def from_data(cls, data: Data) -> Event:
        return cls(**data)

    def to_data(self) -> Data:
        data: Data = plain(self)
        return data


@dataclass(frozen=True, kw_only=True)
class ValueClaimed(Event):
    """A unique value (an e-mail, a SKU) now belongs to `owner_id`."""

    owner_id: str


@dataclass(frozen=True, kw_only=True)
class CustomerRegistered(Event):
    customer_id: str
    name: str
    email: str


@dataclass(frozen=True, kw_only=True)
class ProductAdded(Event):
    schema_version: ClassVar[int] = 2  # v2 added `description`

    product_id: str
    sku: str
    name: str
    description: str | None
    price_cents: int
    initial_stock: int


@dataclass(frozen=True, kw_only=True)
class ProductRestocked(Event):
    product_id: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class ProductPriceChanged(Event):
    product_id: str
    price_cents: int


@dataclass(frozen=True, kw_only=True)
class StockReserved(Event):
    product_id: str
    order_id: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class StockReleased(Event):
    product_id: str
    order_id: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class StockShipped(Event):
    """Reserved stock left the warehouse with a shipped order."""

    product_id: str
    order_id: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    product_id: str
    product_name: str
    unit_price_cents: int
    quantity: int


@dataclass(frozen=True, kw_only=True)
class OrderCreated(Event):
    order_id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    shipping_address: str

    @classmethod
    def from_data(cls, data: Data) -> Event:
        lines = tuple(OrderLine(**line) for line in data["lines"])
        return cls(**{**data, "lines": lines})


@dataclass(frozen=True, kw_only=True)
class OrderConfirmed(Event):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class OrderShipped(Event):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class OrderDelivered(Event):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Event):
    order_id: str
    reason: str


# The status an order is in after each event that moves it on (the aggregate and the views).
STATUS_AFTER: dict[type[Event], OrderStatus] = {
    OrderConfirmed: OrderStatus.CONFIRMED,
    OrderShipped: OrderStatus.SHIPPED,
    OrderDelivered: OrderStatus.DELIVERED,
    OrderCancelled: OrderStatus.CANCELLED,
}


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        ValueClaimed,
        CustomerRegistered,
        ProductAdded,
        ProductRestocked,
        ProductPriceChanged,
        StockReserved,
        StockReleased,
        StockShipped,
        OrderCreated,
        OrderConfirmed,
        OrderShipped,
        OrderDelivered,
        OrderCancelled,
    )
}

Upcaster = Callable[[Data], Data]

# (type, version) -> the payload at version + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("ProductAdded", 1): lambda data: {**data, "description": None},
}


def upcast(type_name: str, version: int, data: Data) -> Data:
    """Bring a stored payload up to its event type's current schema version."""
    current = EVENT_TYPES[type_name].schema_version
    while version < current:
        data = UPCASTERS[(type_name, version)](data)
        version += 1
    return data


def decode(type_name: str, version: int, data: Data) -> Event:
    """The domain event for a stored row, upcast to the current schema."""
    return EVENT_TYPES[type_name].from_data(upcast(type_name, version, data))


def type_name(event: Event) -> str:
    return type(event).__name__

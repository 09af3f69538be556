"""Commands: one focused, validated request to change the system each.

A command cannot exist in an invalid state: construction checks every field rule
and raises InvalidCommand naming each broken field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from domain import validation as check
from domain.errors import InvalidCommand, Problem
from domain.events import OrderStatus

MAX_ORDER_LINES = 100
MAX_LINE_QUANTITY = 10_000
MAX_STOCK_MOVE = 1_000_000


@dataclass(frozen=True, kw_only=True)
class Command:
    command_id: str

    def __post_init__(self) -> None:
        problems = [*check.text("command_id", self.command_id, min_len=1, max_len=100)]
        problems += self.problems()
        if problems:
            raise InvalidCommand(problems)

    def problems(self) -> Iterator[Problem]:
        """The field rules this command breaks; none by default."""
        return iter(())


@dataclass(frozen=True, kw_only=True)
class RegisterCustomer(Command):
    customer_id: str
    name: str
    email: str

    def problems(self) -> Iterator[Problem]:
        yield from check.identifier("customer_id", self.customer_id)
        yield from check.text("name", self.name, min_len=1, max_len=200)
        yield from check.email("email", self.email)


@dataclass(frozen=True, kw_only=True)
class AddProduct(Command):
    product_id: str
    sku: str
    name: str
    description: str | None
    price_cents: int
    initial_stock: int

    def problems(self) -> Iterator[Problem]:
        yield from check.identifier("product_id", self.product_id)
        yield from check.text("sku", self.sku, min_len=1, max_len=64)
        yield from check.text("name", self.name, min_len=1, max_len=200)
        yield from check.text(
            "description", self.description, min_len=1, max_len=2000, multiline=True
        )
        yield from check.integer("price_cents", self.price_cents, low=0)
        yield from check.integer("initial_stock", self.initial_stock, low=0, high=MAX_STOCK_MOVE)


@dataclass(frozen=True, kw_only=True)
class RestockProduct(Command):
    product_id: str
    quantity: int

    def problems(self) -> Iterator[Problem]:
        yield from check.identifier("product_id", self.product_id)
        yield from check.integer("quantity", self.quantity, low=1, high=MAX_STOCK_MOVE)


@dataclass(frozen=True, kw_only=True)
class ChangeProductPrice(Command):
    product_id: str
    price_cents: int

    def problems(self) -> Iterator[Problem]:
        yield from check.identifier("product_id", self.product_id)
        yield from check.integer("price_cents", self.price_cents, low=0)


@dataclass(frozen=True, kw_only=True)
class OrderLineRequest:
    product_id: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class CreateOrder(Command):
    order_id: str
    customer_id: str
    items: tuple[OrderLineRequest, ...]
    shipping_address: str

    def problems(self) -> Iterator[Problem]:
        yield from check.identifier("order_id", self.order_id)
        yield from check.identifier("customer_id", self.customer_id)
        if not 1 <= len(self.items) <= MAX_ORDER_LINES:
            yield Problem("items", f"must have 1 to {MAX_ORDER_LINES} lines")
        seen: set[str] = set()
        for i, item in enumerate(self.items):
            yield from check.identifier(f"items.{i}.product_id", item.product_id)
            yield from check.integer(
                f"items.{i}.quantity", item.quantity, low=1, high=MAX_LINE_QUANTITY
            )
            if item.product_id in seen:
                yield Problem(f"items.{i}.product_id", "appears in an earlier line")
            seen.add(item.product_id)
        yield from check.text(
            "shipping_address", self.shipping_address, min_len=1, max_len=500, multiline=True
        )


@dataclass(frozen=True, kw_only=True)
class UpdateOrderStatus(Command):
    order_id: str
    status: OrderStatus
    expected_version: int | None = None

    def problems(self) -> Iterator[Problem]:
        yield from check.identifier("order_id", self.order_id)
        if self.status is OrderStatus.CANCELLED:
            yield Problem("status", "use cancelOrder to cancel an order")
        yield from check.integer("expected_version", self.expected_version, low=0)


@dataclass(frozen=True, kw_only=True)
class CancelOrder(Command):
    order_id: str
    reason: str
    expected_version: int | None = None
    for_customer: str | None = None  # set: only that customer's order may be cancelled

    def problems(self) -> Iterator[Problem]:
        yield from check.identifier("order_id", self.order_id)
        yield from check.text("reason", self.reason, min_len=1, max_len=500, multiline=True)
        yield from check.integer("expected_version", self.expected_version, low=0)

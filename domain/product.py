"""The product aggregate: catalogue data and stock (on hand, reserved)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.commands import AddProduct, ChangeProductPrice, RestockProduct
from domain.errors import Conflict, NotFound, RuleViolated
from domain.events import (
    Event,
    ProductAdded,
    ProductPriceChanged,
    ProductRestocked,
    StockReleased,
    StockReserved,
    StockShipped,
)
from domain.validation import INT32_MAX


@dataclass(frozen=True, kw_only=True)
class Product:
    product_id: str
    sku: str
    name: str
    description: str | None
    price_cents: int
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def evolve(state: Product | None, event: Event) -> Product | None:
    if isinstance(event, ProductAdded):
        return Product(
            product_id=event.product_id,
            sku=event.sku,
            name=event.name,
            description=event.description,
            price_cents=event.price_cents,
            on_hand=event.initial_stock,
            reserved=0,
        )
    if state is None:
        return None
    match event:
        case ProductRestocked(quantity=q):
            return replace(state, on_hand=state.on_hand + q)
        case ProductPriceChanged(price_cents=price):
            return replace(state, price_cents=price)
        case StockReserved(quantity=q):
            return replace(state, reserved=state.reserved + q)
        case StockReleased(quantity=q):
            return replace(state, reserved=state.reserved - q)
        case StockShipped(quantity=q):
            return replace(state, on_hand=state.on_hand - q, reserved=state.reserved - q)
    return state


def add(state: Product | None, cmd: AddProduct) -> list[Event]:
    if state is not None:
        raise Conflict("a product with this id already exists", field="product_id")
    return [
        ProductAdded(
            product_id=cmd.product_id,
            sku=cmd.sku,
            name=cmd.name,
            description=cmd.description,
            price_cents=cmd.price_cents,
            initial_stock=cmd.initial_stock,
        )
    ]


def existing(state: Product | None, field: str) -> Product:
    if state is None:
        raise NotFound("no such product", field=field)
    return state


def restock(state: Product | None, cmd: RestockProduct) -> list[Event]:
    product = existing(state, "product_id")
    if product.on_hand + cmd.quantity > INT32_MAX:
        raise RuleViolated("stock on hand would exceed its maximum", field="quantity")
    return [ProductRestocked(product_id=product.product_id, quantity=cmd.quantity)]


def change_price(state: Product | None, cmd: ChangeProductPrice) -> list[Event]:
    product = existing(state, "product_id")
    return [ProductPriceChanged(product_id=product.product_id, price_cents=cmd.price_cents)]


def reserve(state: Product | None, order_id: str, quantity: int, *, field: str) -> list[Event]:
    """Hold stock for an order; `field` names the order line asking for it."""
    product = existing(state, f"{field}.product_id")
    if quantity > product.available:
        raise RuleViolated(
            f"insufficient stock for {product.sku}: {product.available} available",
            field=f"{field}.quantity",
        )
    return [StockReserved(product_id=product.product_id, order_id=order_id, quantity=quantity)]


def release(state: Product, order_id: str, quantity: int) -> list[Event]:
    return [StockReleased(product_id=state.product_id, order_id=order_id, quantity=quantity)]


def ship(state: Product, order_id: str, quantity: int) -> list[Event]:
    return [StockShipped(product_id=state.product_id, order_id=order_id, quantity=quantity)]

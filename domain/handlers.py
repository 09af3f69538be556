"""Command handlers: load the aggregates a command needs, let them decide, return the writes.

Handlers run inside the event store's single writer, one command after another, against
the aggregates as the commands before them left them; the writer appends what a handler
returns. A handler does no I/O of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain import claims, customer, order, product
from domain.commands import (
    AddProduct,
    CancelOrder,
    ChangeProductPrice,
    Command,
    CreateOrder,
    RegisterCustomer,
    RestockProduct,
    UpdateOrderStatus,
)
from domain.errors import Unauthorized
from domain.events import Event, OrderStatus
from domain.log import StreamWrite
from domain.repository import Repository
from domain.streams import CUSTOMERS, EMAIL_CLAIMS, ORDERS, PRODUCTS, SKU_CLAIMS
from domain.validation import identity


@dataclass(frozen=True)
class Changes:
    """A handler's decision: the writes of one command, its own aggregate's first."""

    aggregate_id: str
    writes: tuple[StreamWrite, ...]


def register_customer(cmd: RegisterCustomer, repo: Repository) -> Changes:
    new = repo.load(CUSTOMERS, cmd.customer_id)
    email = repo.load(EMAIL_CLAIMS, identity(cmd.email))
    registered = customer.register(new.state, cmd)
    claimed = claims.claim(email.state, cmd.customer_id, field="email", what="this e-mail address")
    return Changes(cmd.customer_id, (new.write(registered), email.write(claimed)))


def add_product(cmd: AddProduct, repo: Repository) -> Changes:
    new = repo.load(PRODUCTS, cmd.product_id)
    sku = repo.load(SKU_CLAIMS, identity(cmd.sku))
    added = product.add(new.state, cmd)
    claimed = claims.claim(sku.state, cmd.product_id, field="sku", what="this SKU")
    return Changes(cmd.product_id, (new.write(added), sku.write(claimed)))


def restock_product(cmd: RestockProduct, repo: Repository) -> Changes:
    loaded = repo.load(PRODUCTS, cmd.product_id)
    return Changes(cmd.product_id, (loaded.write(product.restock(loaded.state, cmd)),))


def change_product_price(cmd: ChangeProductPrice, repo: Repository) -> Changes:
    loaded = repo.load(PRODUCTS, cmd.product_id)
    return Changes(cmd.product_id, (loaded.write(product.change_price(loaded.state, cmd)),))


def create_order(cmd: CreateOrder, repo: Repository) -> Changes:
    """Place the order and reserve its stock in the same append: all of it or nothing."""
    new = repo.load(ORDERS, cmd.order_id)
    buyer = repo.load(CUSTOMERS, cmd.customer_id)
    stock = {item.product_id: repo.load(PRODUCTS, item.product_id) for item in cmd.items}
    created = order.create(new.state, cmd, buyer.state, {k: v.state for k, v in stock.items()})
    reservations = [  # the lines name distinct products (CreateOrder checks)
        stock[item.product_id].write(
            product.reserve(
                stock[item.product_id].state, cmd.order_id, item.quantity, field=f"items.{i}"
            )
        )
        for i, item in enumerate(cmd.items)
    ]
    return Changes(cmd.order_id, (new.write(created), *reservations))


def update_order_status(cmd: UpdateOrderStatus, repo: Repository) -> Changes:
    loaded = repo.load(ORDERS, cmd.order_id)
    placed = order.existing_order(loaded.state)
    loaded.expect(cmd.expected_version)
    moved = order.change_status(placed, cmd)
    stock: tuple[StreamWrite, ...] = ()
    if cmd.status is OrderStatus.SHIPPED:  # reserved stock leaves the warehouse
        stock = _move_stock(repo, placed, product.ship)
    return Changes(cmd.order_id, (loaded.write(moved), *stock))


def cancel_order(cmd: CancelOrder, repo: Repository) -> Changes:
    loaded = repo.load(ORDERS, cmd.order_id)
    if cmd.for_customer is not None and (
        loaded.state is None or loaded.state.customer_id != cmd.for_customer
    ):  # another's order, or none at all: the same answer, so neither is revealed
        raise Unauthorized("you may cancel only your own orders", field="order_id")
    placed = order.existing_order(loaded.state)
    loaded.expect(cmd.expected_version)
    cancelled = order.cancel(placed, cmd)
    released = _move_stock(repo, placed, product.release)
    return Changes(cmd.order_id, (loaded.write(cancelled), *released))


def _move_stock(
    repo: Repository, placed: order.Order, move: Callable[[product.Product, str, int], list[Event]]
) -> tuple[StreamWrite, ...]:
    writes = []
    for line in placed.lines:
        loaded = repo.load(PRODUCTS, line.product_id)
        stocked = product.existing(loaded.state, "order_id")
        writes.append(loaded.write(move(stocked, placed.order_id, line.quantity)))
    return tuple(writes)


Handler = Callable[[Any, Repository], Changes]

HANDLERS: dict[type[Command], Handler] = {
    RegisterCustomer: register_customer,
    AddProduct: add_product,
    RestockProduct: restock_product,
    ChangeProductPrice: change_product_price,
    CreateOrder: create_order,
    UpdateOrderStatus: update_order_status,
    CancelOrder: cancel_order,
}

"""The order aggregate: PENDING -> CONFIRMED -> SHIPPED -> DELIVERED, or CANCELLED."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from domain.commands import CancelOrder, CreateOrder, UpdateOrderStatus
from domain.customer import Customer
from domain.errors import Conflict, NotFound, RuleViolated
from domain.events import (
    STATUS_AFTER,
    Event,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderLine,
    OrderShipped,
    OrderStatus,
)
from domain.product import Product, existing
from domain.validation import INT32_MAX

# The status each target status must come from, and the event that records the move.
_MOVES: dict[
    OrderStatus, tuple[OrderStatus, type[OrderConfirmed | OrderShipped | OrderDelivered]]
] = {
    OrderStatus.CONFIRMED: (OrderStatus.PENDING, OrderConfirmed),
    OrderStatus.SHIPPED: (OrderStatus.CONFIRMED, OrderShipped),
    OrderStatus.DELIVERED: (OrderStatus.SHIPPED, OrderDelivered),
}
_CANCELLABLE = {OrderStatus.PENDING, OrderStatus.CONFIRMED}


@dataclass(frozen=True, kw_only=True)
class Order:
    order_id: str
    customer_id: str
    status: OrderStatus
    lines: tuple[OrderLine, ...]


def evolve(state: Order | None, event: Event) -> Order | None:
    if isinstance(event, OrderCreated):
        return Order(
            order_id=event.order_id,
            customer_id=event.customer_id,
            status=OrderStatus.PENDING,
            lines=event.lines,
        )
    status = STATUS_AFTER.get(type(event))
    return replace(state, status=status) if state and status else state


def create(
    state: Order | None,
    cmd: CreateOrder,
    customer: Customer | None,
    products: Mapping[str, Product | None],
) -> list[Event]:
    """Place the order; each line keeps the product's name and price as they are now."""
    if state is not None:
        raise Conflict("an order with this id already exists", field="order_id")
    if customer is None:
        raise NotFound("no such customer", field="customer_id")
    lines = []
    for i, item in enumerate(cmd.items):
        product = existing(products.get(item.product_id), f"items.{i}.product_id")
        lines.append(
            OrderLine(
                product_id=product.product_id,
                product_name=product.name,
                unit_price_cents=product.price_cents,
                quantity=item.quantity,
            )
        )
    if sum(line.unit_price_cents * line.quantity for line in lines) > INT32_MAX:
        raise RuleViolated(f"the order total would exceed {INT32_MAX} cents", field="items")
    return [
        OrderCreated(
            order_id=cmd.order_id,
            customer_id=customer.customer_id,
            lines=tuple(lines),
            shipping_address=cmd.shipping_address,
        )
    ]


def existing_order(state: Order | None) -> Order:
    if state is None:
        raise NotFound("no such order", field="order_id")
    return state


def change_status(state: Order | None, cmd: UpdateOrderStatus) -> list[Event]:
    order = existing_order(state)
    move = _MOVES.get(cmd.status)
    if move is None or order.status is not move[0]:
        raise RuleViolated(
            f"an order cannot move from {order.status} to {cmd.status}", field="status"
        )
    return [move[1](order_id=order.order_id)]


def cancel(state: Order | None, cmd: CancelOrder) -> list[Event]:
    order = existing_order(state)
    if order.status not in _CANCELLABLE:
        raise RuleViolated(f"an order cannot be cancelled once {order.status}")
    return [OrderCancelled(order_id=order.order_id, reason=cmd.reason)]

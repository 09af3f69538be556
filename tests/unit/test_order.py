"""Order rules, given these events, when this command, then these events."""

import pytest

from domain import order
from domain.commands import (
    CancelOrder,
    CreateOrder,
    OrderLineRequest,
    OrderStatus,
    UpdateOrderStatus,
)
from domain.customer import Customer
from domain.errors import Conflict, NotFound, RuleViolated
from domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderLine,
    OrderShipped,
)
from domain.product import Product
from tests.unit.fold import fold

ORDER_ID = "00000000-0000-4000-8000-0000000000aa"
C = "00000000-0000-4000-8000-0000000000cc"
P1 = "00000000-0000-4000-8000-000000000001"
P2 = "00000000-0000-4000-8000-000000000002"
ANN = Customer(customer_id=C, name="Ann", email="ann@example.com")
MUG = Product(
    product_id=P1, sku="MUG", name="Mug", description=None, price_cents=900, on_hand=5, reserved=0
)
TEA = Product(
    product_id=P2,
    sku="TEA",
    name="Tea",
    description="Green",
    price_cents=450,
    on_hand=50,
    reserved=0,
)
LINES = (
    OrderLine(product_id=P1, product_name="Mug", unit_price_cents=900, quantity=2),
    OrderLine(product_id=P2, product_name="Tea", unit_price_cents=450, quantity=3),
)
CREATED = OrderCreated(order_id=ORDER_ID, customer_id=C, lines=LINES, shipping_address="1 Main St")


def create(*items: tuple[str, int]) -> CreateOrder:
    return CreateOrder(
        command_id="c",
        order_id=ORDER_ID,
        customer_id=C,
        items=tuple(OrderLineRequest(product_id=p, quantity=q) for p, q in items),
        shipping_address="1 Main St",
    )


def status(target: OrderStatus) -> UpdateOrderStatus:
    return UpdateOrderStatus(command_id="c", order_id=ORDER_ID, status=target)


def test_an_order_keeps_each_product_name_and_price_as_ordered():
    events = order.create(None, create((P1, 2), (P2, 3)), ANN, {P1: MUG, P2: TEA})
    assert events == [CREATED]


def test_an_order_needs_a_known_customer():
    with pytest.raises(NotFound) as refused:
        order.create(None, create((P1, 1)), None, {P1: MUG})
    assert refused.value.field == "customer_id"


def test_an_order_needs_known_products_and_names_the_line():
    with pytest.raises(NotFound) as refused:
        order.create(None, create((P1, 1), (P2, 1)), ANN, {P1: MUG, P2: None})
    assert refused.value.field == "items.1.product_id"


def test_an_order_id_is_used_once():
    with pytest.raises(Conflict):
        order.create(fold(order.evolve, CREATED), create((P1, 1)), ANN, {P1: MUG})


def test_an_order_total_must_fit_in_32_bits():
    dear = Product(
        product_id=P1,
        sku="GOLD",
        name="Gold",
        description=None,
        price_cents=2**31 - 1,
        on_hand=10,
        reserved=0,
    )
    with pytest.raises(RuleViolated) as refused:
        order.create(None, create((P1, 2)), ANN, {P1: dear})
    assert refused.value.field == "items"


@pytest.mark.parametrize(
    ("history", "target", "expected"),
    [
        ((), OrderStatus.CONFIRMED, OrderConfirmed(order_id=ORDER_ID)),
        (
            (OrderConfirmed(order_id=ORDER_ID),),
            OrderStatus.SHIPPED,
            OrderShipped(order_id=ORDER_ID),
        ),
        (
            (OrderConfirmed(order_id=ORDER_ID), OrderShipped(order_id=ORDER_ID)),
            OrderStatus.DELIVERED,
            OrderDelivered(order_id=ORDER_ID),
        ),
    ],
)
def test_status_moves_forward_one_step_at_a_time(history, target, expected):
    assert order.change_status(fold(order.evolve, CREATED, *history), status(target)) == [expected]


@pytest.mark.parametrize(
    ("history", "target"),
    [
        ((), OrderStatus.SHIPPED),
        ((), OrderStatus.DELIVERED),
        ((), OrderStatus.PENDING),
        ((OrderConfirmed(order_id=ORDER_ID),), OrderStatus.CONFIRMED),
        ((OrderCancelled(order_id=ORDER_ID, reason="x"),), OrderStatus.CONFIRMED),
        (
            (
                OrderConfirmed(order_id=ORDER_ID),
                OrderShipped(order_id=ORDER_ID),
                OrderDelivered(order_id=ORDER_ID),
            ),
            OrderStatus.SHIPPED,
        ),
    ],
)
def test_status_never_skips_repeats_or_goes_back(history, target):
    with pytest.raises(RuleViolated) as refused:
        order.change_status(fold(order.evolve, CREATED, *history), status(target))
    assert refused.value.field == "status"


def test_status_of_an_unknown_order_is_not_found():
    with pytest.raises(NotFound):
        order.change_status(None, status(OrderStatus.CONFIRMED))


@pytest.mark.parametrize("history", [(), (OrderConfirmed(order_id=ORDER_ID),)])
def test_pending_or_confirmed_orders_can_be_cancelled(history):
    cancel = CancelOrder(command_id="c", order_id=ORDER_ID, reason="changed my mind")
    events = order.cancel(fold(order.evolve, CREATED, *history), cancel)
    assert events == [OrderCancelled(order_id=ORDER_ID, reason="changed my mind")]
    assert fold(order.evolve, CREATED, *history, *events).status is OrderStatus.CANCELLED


@pytest.mark.parametrize(
    "history",
    [
        (OrderConfirmed(order_id=ORDER_ID), OrderShipped(order_id=ORDER_ID)),
        (OrderCancelled(order_id=ORDER_ID, reason="x"),),
    ],
)
def test_shipped_or_cancelled_orders_cannot_be_cancelled(history):
    with pytest.raises(RuleViolated):
        order.cancel(
            fold(order.evolve, CREATED, *history),
            CancelOrder(command_id="c", order_id=ORDER_ID, reason="r"),
        )

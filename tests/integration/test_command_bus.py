"""Commands through the bus and the real event store: idempotency, atomicity, races."""

import asyncio
import uuid

import pytest

from domain.bus import CommandBus
from domain.commands import (
    AddProduct,
    CancelOrder,
    CreateOrder,
    OrderLineRequest,
    OrderStatus,
    RegisterCustomer,
    UpdateOrderStatus,
)
from domain.errors import Conflict, RuleViolated
from domain.eventstore import EventStore
from domain.streams import PRODUCTS

pytestmark = pytest.mark.anyio


def new_id() -> str:
    return str(uuid.uuid4())


async def customer(bus: CommandBus) -> str:
    customer_id = new_id()
    await bus.handle(
        RegisterCustomer(
            command_id=new_id(),
            customer_id=customer_id,
            name="Ann",
            email=f"{customer_id}@example.com",
        )
    )
    return customer_id


async def product(bus: CommandBus, stock: int, *, sku: str | None = None) -> str:
    product_id = new_id()
    await bus.handle(
        AddProduct(
            command_id=new_id(),
            product_id=product_id,
            sku=sku or product_id,
            name="Mug",
            description=None,
            price_cents=900,
            initial_stock=stock,
        )
    )
    return product_id


def order(customer_id: str, *lines: tuple[str, int], order_id: str | None = None) -> CreateOrder:
    return CreateOrder(
        command_id=new_id(),
        order_id=order_id or new_id(),
        customer_id=customer_id,
        items=tuple(OrderLineRequest(product_id=p, quantity=q) for p, q in lines),
        shipping_address="1 Main St",
    )


async def stock_of(store: EventStore, product_id: str):
    return (await store.load(PRODUCTS, product_id)).state


async def test_a_repeated_command_is_answered_from_its_first_result(
    bus: CommandBus, store: EventStore
):
    command = RegisterCustomer(
        command_id="same", customer_id=new_id(), name="Ann", email="ann@example.com"
    )
    first = await bus.handle(command)
    again = await bus.handle(command)
    assert again.replayed and (again.position, again.version) == (first.position, first.version)
    assert await store.head_position() == first.position


async def test_concurrent_repeats_of_one_command_write_once(bus: CommandBus, store: EventStore):
    command = RegisterCustomer(
        command_id="dup", customer_id=new_id(), name="Ann", email="a@example.com"
    )
    results = await asyncio.gather(*(bus.handle(command) for _ in range(10)))
    assert len({r.position for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert await store.head_position() == 2  # the customer and its e-mail claim


async def test_a_command_id_reused_for_another_command_is_a_conflict(bus: CommandBus):
    await bus.handle(
        RegisterCustomer(command_id="k", customer_id=new_id(), name="A", email="a@example.com")
    )
    with pytest.raises(Conflict) as refused:
        await bus.handle(
            RegisterCustomer(command_id="k", customer_id=new_id(), name="B", email="b@example.com")
        )
    assert refused.value.field == "command_id"


async def test_emails_are_unique_case_insensitively_even_when_racing(bus: CommandBus):
    attempts = [
        RegisterCustomer(command_id=new_id(), customer_id=new_id(), name="Ann", email=email)
        for email in [
            "ann@example.com",
            "ANN@example.com",
            "Ann@Example.COM",
            "\uff21\uff2e\uff2e@example.com",
        ]
        * 5
    ]
    outcomes = await asyncio.gather(*(bus.handle(c) for c in attempts), return_exceptions=True)
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(
        isinstance(o, Conflict) and o.field == "email" for o in outcomes if isinstance(o, Exception)
    )


async def test_skus_are_unique_case_insensitively_after_nfkc(bus: CommandBus):
    await product(bus, 1, sku="Mug-1")
    for spelling in ["MUG-1", "mug-1", "\uff4d\uff55\uff47\uff0d\uff11"]:
        with pytest.raises(Conflict) as refused:
            await product(bus, 1, sku=spelling)
        assert refused.value.field == "sku"


async def test_an_order_that_cannot_be_filled_whole_writes_nothing(
    bus: CommandBus, store: EventStore
):
    buyer, plenty, scarce = await customer(bus), await product(bus, 100), await product(bus, 1)
    head = await store.head_position()
    with pytest.raises(RuleViolated) as refused:
        await bus.handle(order(buyer, (plenty, 5), (scarce, 2)))
    assert refused.value.field == "items.1.quantity"
    assert await store.head_position() == head
    assert (await stock_of(store, plenty)).reserved == 0


async def test_concurrent_orders_never_oversell(bus: CommandBus, store: EventStore):
    # Given 10 in stock, when 40 orders for one each race, then exactly 10 win
    buyer, mug = await customer(bus), await product(bus, 10)
    outcomes = await asyncio.gather(
        *(bus.handle(order(buyer, (mug, 1))) for _ in range(40)), return_exceptions=True
    )
    refusals = [o for o in outcomes if isinstance(o, Exception)]
    assert len(outcomes) - len(refusals) == 10
    assert all(isinstance(r, RuleViolated) for r in refusals), refusals  # never a spurious CONFLICT
    assert (await stock_of(store, mug)).available == 0


async def test_shipping_takes_stock_out_and_cancelling_puts_it_back(
    bus: CommandBus, store: EventStore
):
    buyer, mug = await customer(bus), await product(bus, 10)
    shipped, cancelled = new_id(), new_id()
    await bus.handle(order(buyer, (mug, 3), order_id=shipped))
    await bus.handle(order(buyer, (mug, 4), order_id=cancelled))
    for status in (OrderStatus.CONFIRMED, OrderStatus.SHIPPED):
        await bus.handle(UpdateOrderStatus(command_id=new_id(), order_id=shipped, status=status))
    await bus.handle(
        CancelOrder(command_id=new_id(), order_id=cancelled, reason="no longer needed")
    )
    stock = await stock_of(store, mug)
    assert (stock.on_hand, stock.reserved, stock.available) == (7, 0, 7)


async def test_a_pinned_expected_version_is_never_retried_into_success(bus: CommandBus):
    buyer, mug = await customer(bus), await product(bus, 10)
    placed = await bus.handle(order(buyer, (mug, 1)))
    await bus.handle(
        UpdateOrderStatus(
            command_id=new_id(),
            order_id=placed.aggregate_id,
            status=OrderStatus.CONFIRMED,
            expected_version=placed.version,
        )
    )
    with pytest.raises(Conflict) as refused:
        await bus.handle(
            CancelOrder(
                command_id=new_id(),
                order_id=placed.aggregate_id,
                reason="r",
                expected_version=placed.version,
            )
        )
    assert refused.value.field == "expected_version"


async def test_many_concurrent_orders_on_one_product_all_land(bus: CommandBus, store: EventStore):
    # Given plenty of stock, when 60 orders for one product race, then none is refused
    buyer, mug = await customer(bus), await product(bus, 1000)
    outcomes = await asyncio.gather(
        *(bus.handle(order(buyer, (mug, 1))) for _ in range(60)), return_exceptions=True
    )
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert (await stock_of(store, mug)).reserved == 60


async def test_64_orders_racing_for_50_units_reserve_exactly_50(bus: CommandBus, store: EventStore):
    # Given 50 in stock, when 64 orders for one unit each arrive at once
    buyer, mug = await customer(bus), await product(bus, 50)
    outcomes = await asyncio.gather(
        *(bus.handle(order(buyer, (mug, 1))) for _ in range(64)), return_exceptions=True
    )
    # Then exactly 50 land, 14 are refused for stock, and the product says so
    refusals = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refusals) == 14
    assert all(isinstance(r, RuleViolated) for r in refusals), refusals
    stock = await stock_of(store, mug)
    assert (stock.reserved, stock.available) == (50, 0)

"""The Redis cache in front of ORDER_DETAILS, on the real Redis (a key prefix of this test's
own): claims and fills, versions that never go back, clears, expiry; and the projection
engine keeping it, on both databases, with rows equal to the view's."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.bus import CommandBus
from domain.commands import (
    AddProduct,
    CreateOrder,
    OrderLineRequest,
    OrderStatus,
    RegisterCustomer,
    UpdateOrderStatus,
)
from domain.logreader import LogReader
from orders.database import create_sync_engine
from projections import order_details
from projections.engine import ProjectionEngine
from projections.generations import GenerationTables
from projections.mirrors import MirrorFailed
from projections.projection import Row
from projections.queries import ReadModel
from projections.registry import PROJECTIONS
from tests.conftest import REDIS_URL, redis_namespace
from workers.order_cache import OrderCache, OrderReads

pytestmark = pytest.mark.anyio
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


namespace = pytest.fixture(redis_namespace)


@pytest.fixture
async def cache(namespace: str) -> AsyncIterator[OrderCache]:
    made = OrderCache(REDIS_URL, namespace, expire_seconds=60)
    yield made
    made.close()
    await made.aclose()


def row(order_id: str, version: int, status: str = "PENDING") -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": "c1",
        "customer_name": "Ada",
        "customer_email": "ada@example.com",
        "status": status,
        "items": [{"product_id": "p1", "quantity": 2, "unit_price_cents": 150}],
        "item_count": 2,
        "total_cents": 300,
        "shipping_address": "1 Main St",
        "cancel_reason": None,
        "created_at": T0,
        "updated_at": T0,
        "version": version,
    }


# --- the protocol, on the real Redis ----------------------------------------------------------


async def test_a_filled_order_is_read_back_as_written(cache: OrderCache) -> None:
    written = row("o1", 1)
    cache.fill([written], 10, cache.claim([written]))
    assert await cache.order("o1", at_least=0) == written
    assert await cache.order("o2", at_least=0) is None


async def test_a_claimed_order_is_not_served_until_it_is_filled(cache: OrderCache) -> None:
    first, second = row("o1", 1), row("o1", 2, "CONFIRMED")
    cache.fill([first], 10, cache.claim([first]))
    claimed = cache.claim([second])
    assert await cache.order("o1", at_least=0) is None  # between claim and commit: the view
    cache.fill([second], 11, claimed)
    assert (await cache.order("o1", at_least=0) or {})["version"] == 2


async def test_a_late_fill_of_an_older_version_never_replaces_a_newer_claim_or_fill(
    cache: OrderCache,
) -> None:
    older, newer = row("o1", 1), row("o1", 2, "CONFIRMED")
    claimed_older = cache.claim([older])
    claimed_newer = cache.claim([newer])  # the next batch claims before the first one fills
    cache.fill([older], 10, claimed_older)
    assert await cache.order("o1", at_least=0) is None
    cache.fill([newer], 11, claimed_newer)
    cache.fill([older], 10, claimed_older)  # and even later still
    assert (await cache.order("o1", at_least=0) or {})["version"] == 2


async def test_an_entry_filled_below_at_least_is_not_served(cache: OrderCache) -> None:
    written = row("o1", 1)
    cache.fill([written], 10, cache.claim([written]))
    assert await cache.order("o1", at_least=10) is not None
    assert await cache.order("o1", at_least=11) is None


async def test_a_clear_empties_the_cache_and_turns_away_fills_claimed_before_it(
    cache: OrderCache,
) -> None:
    kept, late = row("o1", 1), row("o2", 1)
    cache.fill([kept], 10, cache.claim([kept]))
    claimed_before = cache.claim([late])
    cache.clear()
    cache.fill([late], 11, claimed_before)
    assert await cache.order("o1", at_least=0) is None
    assert await cache.order("o2", at_least=0) is None
    again = row("o1", 2, "CONFIRMED")
    cache.fill([again], 12, cache.claim([again]))
    assert (await cache.order("o1", at_least=0) or {})["version"] == 2


async def test_entries_expire(namespace: str) -> None:
    brief = OrderCache(REDIS_URL, namespace, expire_seconds=0.2)
    try:
        written = row("o1", 1)
        brief.fill([written], 10, brief.claim([written]))
        assert await brief.order("o1", at_least=0) is not None
        await asyncio.sleep(0.4)
        assert await brief.order("o1", at_least=0) is None
    finally:
        brief.close()
        await brief.aclose()


async def test_reads_fall_back_to_the_view_on_a_miss_and_when_redis_does_not_answer(
    cache: OrderCache,
) -> None:
    from_view = row("o1", 7)
    outcomes: list[str] = []

    async def view(order_id: str) -> dict[str, Any] | None:
        return from_view if order_id == "o1" else None

    reads = OrderReads(view, cache, outcomes.append)
    assert await reads.order("o1", None) == from_view
    written = row("o1", 8)
    cache.fill([written], 10, cache.claim([written]))
    assert (await reads.order("o1", None) or {})["version"] == 8
    away = OrderCache(CLOSED_PORT_URL, "nowhere", expire_seconds=60)
    try:
        assert await OrderReads(view, away, outcomes.append).order("o1", None) == from_view
    finally:
        away.close()
        await away.aclose()
    assert outcomes == ["miss", "hit", "error"]


# --- kept by the projection engine, on both databases -----------------------------------------


def projection_engine(database_url: str, cache: OrderCache) -> ProjectionEngine:
    engine = ProjectionEngine(
        create_sync_engine(database_url, writes=True),
        create_sync_engine(database_url, writes=False),
        LogReader(create_sync_engine(database_url, writes=False)),
        [p for p in PROJECTIONS if p.name == order_details.PROJECTION.name],
        mirrors={order_details.PROJECTION.name: cache},
    )
    engine.prepare()
    return engine


async def place_orders(bus: CommandBus, count: int) -> list[str]:
    customer, product = str(uuid.uuid4()), str(uuid.uuid4())
    await bus.handle(
        RegisterCustomer(
            command_id=customer, customer_id=customer, name="Ada", email=f"{customer}@x.example"
        )
    )
    await bus.handle(
        AddProduct(
            command_id=product,
            product_id=product,
            sku=product,
            name="Lamp",
            description=None,
            price_cents=1250,
            initial_stock=100,
        )
    )
    orders = [str(uuid.uuid4()) for _ in range(count)]
    for order_id in orders:
        await bus.handle(
            CreateOrder(
                command_id=order_id,
                order_id=order_id,
                customer_id=customer,
                items=(OrderLineRequest(product_id=product, quantity=1),),
                shipping_address="1 Main St",
            )
        )
    return orders


async def test_the_engine_keeps_the_cache_equal_to_the_view(
    database_url: str, bus: CommandBus, cache: OrderCache
) -> None:
    orders = await place_orders(bus, 3)
    await bus.handle(
        UpdateOrderStatus(
            command_id=str(uuid.uuid4()), order_id=orders[0], status=OrderStatus.CONFIRMED
        )
    )
    engine = projection_engine(database_url, cache)
    views = create_sync_engine(database_url, writes=False)
    view = ReadModel(views, GenerationTables())
    try:
        await asyncio.to_thread(engine.catch_up, order_details.PROJECTION.name)
        for order_id in orders:
            in_view = await view.order(order_id)
            assert in_view is not None
            assert await cache.order(order_id, at_least=0) == in_view
        assert (await cache.order(orders[0], at_least=0) or {})["status"] == "CONFIRMED"
    finally:
        engine.close()
        views.dispose()


async def test_a_batch_whose_claim_redis_does_not_take_is_undone_and_fails_nothing(
    database_url: str, bus: CommandBus
) -> None:
    await place_orders(bus, 2)
    away = OrderCache(CLOSED_PORT_URL, "nowhere", expire_seconds=60)
    engine = projection_engine(database_url, away)
    name = order_details.PROJECTION.name
    try:
        with pytest.raises(MirrorFailed):
            await asyncio.to_thread(engine.catch_up, name)
        (status,) = engine.operations.statuses()
        assert status.live.position == 0  # nothing committed that the cache was not told of
        assert status.live.attempts == 0 and status.live.error is None  # no event blamed
    finally:
        engine.close()
        away.close()
        await away.aclose()


class PausedFill(OrderCache):
    """The real cache, whose fills wait until the test lets them go: the moment between a
    batch's commit and its fill, held open."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reached = threading.Event()
        self.go = threading.Event()

    def fill(self, rows: Sequence[Row], position: int, claimed: bytes) -> None:
        self.reached.set()
        assert self.go.wait(10)
        super().fill(rows, position, claimed)


async def test_between_a_commit_and_its_fill_the_changed_orders_are_not_served(
    database_url: str, bus: CommandBus, namespace: str
) -> None:
    changed, unchanged = await place_orders(bus, 2)
    paused = PausedFill(REDIS_URL, namespace, expire_seconds=60)
    paused.go.set()
    engine = projection_engine(database_url, paused)
    views = create_sync_engine(database_url, writes=False)
    view = ReadModel(views, GenerationTables())
    name = order_details.PROJECTION.name
    try:
        await asyncio.to_thread(engine.catch_up, name)
        paused.reached.clear()
        paused.go.clear()
        await bus.handle(
            UpdateOrderStatus(
                command_id=str(uuid.uuid4()), order_id=changed, status=OrderStatus.CONFIRMED
            )
        )
        running = asyncio.ensure_future(asyncio.to_thread(engine.catch_up, name))
        assert await asyncio.to_thread(paused.reached.wait, 10)
        assert ((await view.order(changed)) or {})["version"] == 2  # committed
        assert await paused.order(changed, at_least=0) is None  # so not served from the cache
        assert ((await paused.order(unchanged, at_least=0)) or {})["version"] == 1
        paused.go.set()
        await running
        assert ((await paused.order(changed, at_least=0)) or {})["version"] == 2
    finally:
        paused.go.set()
        engine.close()
        paused.close()
        await paused.aclose()
        views.dispose()


async def test_whoever_hears_a_notice_finds_the_cache_filled(
    database_url: str, bus: CommandBus, cache: OrderCache, namespace: str
) -> None:
    orders = await place_orders(bus, 3)
    found: dict[str, int | None] = {}

    def on_advanced(_name: str, _position: int, keys: list[str] | None, _after: int) -> None:
        async def look() -> None:
            probe = OrderCache(REDIS_URL, namespace, expire_seconds=60)
            for key in keys or []:
                cached = await probe.order(key, at_least=0)
                found[key] = cached["version"] if cached else None
            await probe.aclose()
            probe.close()

        asyncio.run(look())  # in the runner's thread, before it goes on

    engine = ProjectionEngine(
        create_sync_engine(database_url, writes=True),
        create_sync_engine(database_url, writes=False),
        LogReader(create_sync_engine(database_url, writes=False)),
        [order_details.PROJECTION],
        mirrors={order_details.PROJECTION.name: cache},
        on_advanced=on_advanced,
    )
    try:
        engine.prepare()
        await asyncio.to_thread(engine.catch_up, order_details.PROJECTION.name)
    finally:
        engine.close()
    assert found == dict.fromkeys(orders, 1)

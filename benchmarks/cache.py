"""Part `cache`: `order(id)` reads from the Redis cache against reads of the view, on
PostgreSQL + Redis (the distributed mode, where the cache is on by default).

A database of its own and a Redis namespace of its own are made, filled with orders through
the command bus and the projection engine (which keeps the cache), and dropped after. Both
reads are the API's own (`OrderReads` with and without the cache), from many callers at
once, of orders picked at random: the reads the response cache of an API process has not
kept yet, which is the work the Redis cache exists to save.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import asyncpg

from benchmarks.inprocess import open_shop
from benchmarks.rebuild import REDIS_URL, delete_namespace
from benchmarks.report import Row, row
from domain.bus import CommandBus
from domain.commands import CreateOrder, OrderLineRequest
from domain.eventstore import EventStore
from orders.bootstrap import build_projection_engine, order_cache
from orders.database import create_sync_engine
from orders.settings import Settings
from projections import order_details
from projections.generations import GenerationTables
from projections.queries import ReadModel
from workers.order_cache import OrderReads

PART = "cache"
POSTGRES = "postgres@127.0.0.1:5432"
ORDERS = 5_000
CALLERS = 32
SECONDS = 5.0


@asynccontextmanager
async def database() -> AsyncIterator[str]:
    """A PostgreSQL database of this run's own."""
    name = f"orders_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(f"postgresql://{POSTGRES}/postgres", timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+asyncpg://{POSTGRES}/{name}"
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def fill(settings: Settings, orders: int) -> list[str]:
    """`orders` orders in the log, projected into ORDER_DETAILS and so into the cache."""
    url = settings.database_url
    store = EventStore(create_sync_engine(url, writes=True), create_sync_engine(url, writes=False))
    await store.create_schema()
    bus = CommandBus(store)
    customers, products = await open_shop(bus)
    order_ids = [str(uuid.uuid4()) for _ in range(orders)]

    async def place(n: int) -> None:
        line = OrderLineRequest(product_id=products[n % len(products)], quantity=1)
        await bus.handle(
            CreateOrder(
                command_id=order_ids[n],
                order_id=order_ids[n],
                customer_id=customers[n % len(customers)],
                items=(line,),
                shipping_address="1 Bench Street",
            )
        )

    for start in range(0, orders, 100):
        await asyncio.gather(*(place(n) for n in range(start, min(start + 100, orders))))
    await store.close()
    engine = build_projection_engine(settings)
    try:
        engine.prepare()
        await asyncio.to_thread(engine.catch_up, order_details.PROJECTION.name)
    finally:
        engine.close()
    return order_ids


async def reads_per_second(read: Callable[[str], Awaitable[Any]], order_ids: list[str]) -> float:
    """Reads of random orders by CALLERS callers at once, for SECONDS."""
    deadline = time.perf_counter() + SECONDS
    counts = itertools.count()

    async def caller() -> None:
        while time.perf_counter() < deadline:
            found = await read(random.choice(order_ids))
            assert found is not None
            next(counts)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(CALLERS)))
    return next(counts) / (time.perf_counter() - started)


async def measure(runs: int) -> tuple[float, float]:
    """Reads/s from the view alone and through the cache, medians of `runs`, interleaved."""
    namespace = f"orders-bench-{uuid.uuid4().hex[:12]}"
    async with database() as url:
        settings = Settings(database_url=url, redis_url=REDIS_URL, redis_namespace=namespace)
        try:
            order_ids = await fill(settings, ORDERS)
            views = create_sync_engine(url, writes=False)
            view = ReadModel(views, GenerationTables())
            through_view = OrderReads(view.order)
            through_cache = OrderReads(view.order, order_cache(settings))
            samples: dict[str, list[float]] = {"view": [], "cache": []}
            for _ in range(runs):
                for name, reads in (("view", through_view), ("cache", through_cache)):
                    rate = await reads_per_second(partial(reads.order, at_least=None), order_ids)
                    samples[name].append(rate)
                    print(f"  {name}: {rate:,.0f} reads/s", flush=True)
            await through_cache.close()
            views.dispose()
        finally:
            delete_namespace(REDIS_URL, namespace)
    return statistics.median(samples["view"]), statistics.median(samples["cache"])


def run(options: argparse.Namespace) -> list[Row]:
    print(f"[{PART}] {ORDERS:,} orders on PostgreSQL + Redis; {CALLERS} callers", flush=True)
    view, cache = asyncio.run(measure(options.runs))
    return [
        row(
            PART,
            f"order(id) reads through the Redis cache vs the view, PostgreSQL + Redis, "
            f"{CALLERS} callers, random ids among {ORDERS:,}",
            "reads/s",
            cache,
            baseline=view,
            target=">1x (else off by default)",
        )
    ]

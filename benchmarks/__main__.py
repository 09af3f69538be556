"""`make bench`: write-side figures on the embedded default (SQLite), medians of several runs.

python -m benchmarks [--runs 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from domain import product
from domain.bus import CommandBus
from domain.commands import AddProduct, CreateOrder, OrderLineRequest, RegisterCustomer
from domain.events import StockReserved
from domain.eventstore import EventStore
from domain.log import AppendRequest, NewEvent, StreamWrite
from domain.logreader import LogReader
from domain.repository import AggregateKind, Repository
from domain.streams import PRODUCTS
from orders.bootstrap import start_services
from orders.database import create_engine, create_sync_engine
from orders.settings import Settings
from projections.engine import ProjectionEngine
from projections.registry import PROJECTIONS


async def open_store(url: str, *, max_batch: int = 500) -> EventStore:
    store = EventStore(
        create_engine(url, writes=True), create_engine(url, writes=False), max_batch=max_batch
    )
    await store.create_schema()
    return store


async def close_store(store: EventStore) -> None:
    await store.close()
    await store._writer.dispose()
    await store._reader.dispose()


def one_event(n: int) -> AppendRequest:
    event = NewEvent(type="ValueClaimed", schema_version=1, data={"owner_id": str(n)})
    write = StreamWrite(stream_id=f"bench-{uuid.uuid4()}", expected_version=0, events=(event,))
    return AppendRequest(
        command_id=str(uuid.uuid4()), fingerprint="f", aggregate_id="a", writes=(write,)
    )


async def appends_per_second(url: str, *, callers: int, max_batch: int, total: int = 4000) -> float:
    """Appends of one event each, by `callers` concurrent callers."""
    store = await open_store(url, max_batch=max_batch)

    async def caller(count: int) -> None:
        for n in range(count):
            await store.append(one_event(n))

    started = time.perf_counter()
    await asyncio.gather(*(caller(total // callers) for _ in range(callers)))
    elapsed = time.perf_counter() - started
    await close_store(store)
    return total / elapsed


async def commands_per_second(url: str, *, callers: int, total: int = 2000) -> float:
    """Whole RegisterCustomer commands through the bus: load, decide, append two streams."""
    store = await open_store(url)
    bus = CommandBus(store)

    async def caller(count: int) -> None:
        for _ in range(count):
            customer_id = str(uuid.uuid4())
            await bus.handle(
                RegisterCustomer(
                    command_id=customer_id,
                    customer_id=customer_id,
                    name="Bench",
                    email=f"{customer_id}@b.co",
                )
            )

    started = time.perf_counter()
    await asyncio.gather(*(caller(total // callers) for _ in range(callers)))
    elapsed = time.perf_counter() - started
    await close_store(store)
    return total / elapsed


async def long_stream_loads(
    url: str, *, events: int = 100_000, loads: int = 5
) -> tuple[float, float]:
    """Median seconds to load a product with `events` reservations: with snapshots, and without."""
    store = await open_store(url)
    repo = Repository(store)
    product_id = str(uuid.uuid4())
    add = AddProduct(
        command_id="add",
        product_id=product_id,
        sku=product_id,
        name="Hot",
        description=None,
        price_cents=1,
        initial_stock=events,
    )
    loaded = await repo.load(PRODUCTS, product_id)
    await store.append(request_for(loaded.write(product.add(None, add))))
    for batch in range(events // 1000):
        loaded = await repo.load(PRODUCTS, product_id)
        reserved = [
            StockReserved(product_id=product_id, order_id=f"{batch}-{n}", quantity=1)
            for n in range(1000)
        ]
        await store.append(request_for(loaded.write(reserved)))
    without = AggregateKind(
        PRODUCTS.stream_prefix, PRODUCTS.evolve
    )  # same stream, snapshots ignored
    with_snapshot = await median_seconds(lambda: repo.load(PRODUCTS, product_id), loads)
    full_replay = await median_seconds(lambda: repo.load(without, product_id), loads)
    await close_store(store)
    return with_snapshot, full_replay


async def order_log(url: str, orders: int) -> int:
    """A log of `orders` orders (with their customers and products); its length in events."""
    store = await open_store(url)
    bus = CommandBus(store)
    customers = [str(uuid.uuid4()) for _ in range(50)]
    products = [str(uuid.uuid4()) for _ in range(20)]
    for n, customer_id in enumerate(customers):
        email = f"{customer_id}@bench.example"
        await bus.handle(
            RegisterCustomer(command_id=f"c{n}", customer_id=customer_id, name="Bench", email=email)
        )
    for n, product_id in enumerate(products):
        await bus.handle(
            AddProduct(
                command_id=f"p{n}",
                product_id=product_id,
                sku=product_id,
                name=f"Product {n}",
                description=None,
                price_cents=100 + n,
                initial_stock=1_000_000,
            )
        )

    async def place(first: int) -> None:
        for n in range(first, orders, 20):
            items = (OrderLineRequest(product_id=products[n % 20], quantity=1 + n % 3),)
            await bus.handle(
                CreateOrder(
                    command_id=f"o{n}",
                    order_id=str(uuid.uuid4()),
                    customer_id=customers[n % 50],
                    items=items,
                    shipping_address="1 Bench St",
                )
            )

    await asyncio.gather(*(place(first) for first in range(20)))
    head = await store.head_position()
    await close_store(store)
    return head


def projected_events_per_second(url: str, batch_size: int) -> float:
    """All projections from position 0 to the head: events applied per second, all views counted."""
    database = Path(url.removeprefix("sqlite+aiosqlite:///"))
    copy = database.with_name(f"{uuid.uuid4().hex}.db")
    shutil.copy(database, copy)  # a fresh, unprojected copy of the same log for each run
    copy_url = f"sqlite+aiosqlite:///{copy}"
    engine = ProjectionEngine(
        create_sync_engine(copy_url, writes=True),
        create_sync_engine(copy_url, writes=False),
        LogReader(create_sync_engine(copy_url, writes=False)),
        PROJECTIONS,
        batch_size=batch_size,
    )
    engine.prepare()
    started = time.perf_counter()
    engine.catch_up_all()
    elapsed = time.perf_counter() - started
    return engine.head() * len(PROJECTIONS) / elapsed


async def read_your_writes_ms(url: str, commands: int = 200) -> tuple[float, float]:
    """Median ms from sending a command to (a) its acknowledgement and (b) every view having it,
    on the embedded default with its in-process workers."""
    services = await start_services(Settings(database_url=url))
    views = [p.name for p in PROJECTIONS]
    acknowledged, visible = [], []
    try:
        for n in range(commands):
            customer_id = str(uuid.uuid4())
            started = time.perf_counter()
            record = await services.bus.handle(
                RegisterCustomer(
                    command_id=customer_id, customer_id=customer_id, name="B", email=f"{n}@b.co"
                )
            )
            acknowledged.append(time.perf_counter() - started)
            assert await services.positions.wait(views, record.position, timeout=5) == set(views)
            visible.append(time.perf_counter() - started)
    finally:
        await services.close()
    return statistics.median(acknowledged) * 1000, statistics.median(visible) * 1000


def request_for(write: StreamWrite) -> AppendRequest:
    return AppendRequest(
        command_id=str(uuid.uuid4()), fingerprint="f", aggregate_id="a", writes=(write,)
    )


async def median_seconds(action: Callable[[], Awaitable[object]], times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def fresh_sqlite(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder}/{uuid.uuid4().hex}.db"


async def main(runs: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:

        def url() -> str:
            return database_url or fresh_sqlite(Path(folder))

        async def median(measure: Callable[[], Awaitable[float]]) -> float:
            return statistics.median([await measure() for _ in range(runs)])

        print(f"write side, {database_url or 'SQLite (embedded default)'}, median of {runs} runs")
        single = await median(lambda: appends_per_second(url(), callers=1, max_batch=1))
        serial = await median(lambda: appends_per_second(url(), callers=100, max_batch=1))
        grouped = await median(lambda: appends_per_second(url(), callers=100, max_batch=500))
        print(f"  appends/s, 1 caller:                     {single:9,.0f}")
        print(f"  appends/s, 100 callers, one commit each: {serial:9,.0f}")
        print(
            f"  appends/s, 100 callers, group commit:    {grouped:9,.0f} ({grouped / serial:.1f}x)"
        )
        for callers in (1, 100):
            rate = await median(lambda n=callers: commands_per_second(url(), callers=n))
            print(f"  RegisterCustomer commands/s, {callers:3} callers:   {rate:9,.0f}")
        log_url = url()
        events = await order_log(log_url, 1000)
        print(f"read side: {len(PROJECTIONS)} projections over {events:,} events (1,000 orders)")
        batched = statistics.median(
            [projected_events_per_second(log_url, 500) for _ in range(runs)]
        )
        single = statistics.median(
            [projected_events_per_second(log_url, 1) for _ in range(min(runs, 3))]
        )
        print(f"  events projected/s, batches of 500:     {batched:9,.0f}")
        print(
            f"  events projected/s, one per transaction: {single:9,.0f} ({batched / single:.0f}x)"
        )
        acknowledged, visible = await read_your_writes_ms(url())
        print(f"  command acknowledged (median of 200):      {acknowledged:8.2f} ms")
        print(f"  ... and visible in all {len(PROJECTIONS)} views:         {visible:8.2f} ms")
        with_snapshot, full_replay = await long_stream_loads(url())
        print(f"  load a product with 100,000 events, snapshot: {with_snapshot * 1000:8.2f} ms")
        print(
            f"  load a product with 100,000 events, replay:   {full_replay * 1000:8.2f} ms"
            f"  ({full_replay / with_snapshot:.0f}x slower)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file per run")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.database_url))

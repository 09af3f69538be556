"""Part `inprocess`: commands through the bus and appends to the store, in this process.

Each measurement starts the composition root's services on a fresh SQLite file (the
embedded default: the projections run in this process too) and is compared with the
`eventsourcing` library (pyeventsourcing) on SQLite in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import itertools
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from benchmarks.report import Row, median_of, row
from domain.bus import CommandBus
from domain.commands import AddProduct, CreateOrder, OrderLineRequest, RegisterCustomer
from domain.eventstore import EventStore
from domain.log import AppendRequest, NewEvent, StreamWrite
from orders.database import create_sync_engine

PART = "inprocess"
COMMANDS = 10_000  # per measurement (at least ~0.5 s at 64 callers), or BUDGET seconds' worth
BUDGET = 10.0
CUSTOMERS, PRODUCTS = 100, 20
LIBRARY = (
    f"es = eventsourcing {importlib.metadata.version('eventsourcing')} on a SQLite file "
    "(PERSISTENCE_MODULE=eventsourcing.sqlite): its defaults, WAL and synchronous=FULL "
    "(ours: WAL, synchronous=NORMAL); snapshotting and the aggregate cache off"
)
ES = "es: SQLite defaults, no snapshots/cache"  # LIBRARY in short, for the metric text


class Counter(Aggregate):
    """The library's aggregate: created with one event, then one event per increment."""

    @event("Created")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


class Library(Application[UUID]):
    """The library's application: a repository and a notification log over any aggregate."""


def library_app(database: Path) -> Library:
    """The library on a SQLite file, snapshots and aggregate cache off."""
    return Library(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(database),
            "IS_SNAPSHOTTING_ENABLED": "n",
            "AGGREGATE_CACHE_MAXSIZE": "",
        }
    )


def library_rate(action: Callable[[int], object]) -> float:
    """Calls of `action` per second at one caller: COMMANDS of them, or BUDGET seconds' worth."""
    deadline = time.perf_counter() + BUDGET
    started, done = time.perf_counter(), 0
    while done < COMMANDS and time.perf_counter() < deadline:
        action(done)
        done += 1
    return done / (time.perf_counter() - started)


def library_saves(folder: Path) -> float:
    """Saves/s of a newly created aggregate: one event per save."""
    app = library_app(folder / f"{uuid.uuid4().hex}.db")
    try:
        return library_rate(lambda _n: app.save(Counter()))
    finally:
        app.close()


def library_commands(folder: Path) -> float:
    """Load-change-save/s: get an aggregate from the repository, add one event, save it."""
    app = library_app(folder / f"{uuid.uuid4().hex}.db")
    ids = []
    for _ in range(CUSTOMERS):
        counter: Counter = Counter()
        app.save(counter)
        ids.append(counter.id)

    def command(n: int) -> None:
        counter: Counter = app.repository.get(ids[n % len(ids)])
        counter.increment()
        app.save(counter)

    try:
        return library_rate(command)
    finally:
        app.close()


async def rate(callers: int, action: Callable[[int], Awaitable[Any]]) -> float:
    """Calls of `action` per second by `callers` concurrent callers, COMMANDS in all or
    as many as fit in BUDGET seconds."""
    numbers = itertools.count()
    deadline = time.perf_counter() + BUDGET
    done = 0

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < deadline and (n := next(numbers)) < COMMANDS:
            await action(n)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return done / (time.perf_counter() - started)


@asynccontextmanager
async def write_side(folder: Path) -> AsyncIterator[tuple[EventStore, CommandBus]]:
    """The event store and the bus as the service builds them, and nothing else: the library
    compared with has no projections either (the http and lag parts run the whole service)."""
    url = fresh_sqlite(folder)
    store = EventStore(create_sync_engine(url, writes=True), create_sync_engine(url, writes=False))
    await store.create_schema()
    try:
        yield store, CommandBus(store)
    finally:
        await store.close()


async def open_shop(bus: CommandBus) -> tuple[list[str], list[str]]:
    """Register the customers and add the products (stock for any run) orders are placed with."""
    customers = [str(uuid.uuid4()) for _ in range(CUSTOMERS)]
    products = [str(uuid.uuid4()) for _ in range(PRODUCTS)]
    for customer_id in customers:
        email = f"{customer_id}@bench.example"
        await bus.handle(
            RegisterCustomer(command_id=customer_id, customer_id=customer_id, name="B", email=email)
        )
    for n, product_id in enumerate(products):
        await bus.handle(
            AddProduct(
                command_id=product_id,
                product_id=product_id,
                sku=product_id,
                name=f"Product {n}",
                description=None,
                price_cents=100 + n,
                initial_stock=1_000_000,
            )
        )
    return customers, products


async def orders_per_second(folder: Path, callers: int) -> float:
    """createOrder commands/s (one line each) through the bus; only the orders are timed."""
    async with write_side(folder) as (_store, bus):
        customers, products = await open_shop(bus)

        async def place(n: int) -> None:
            order_id = str(uuid.uuid4())
            line = OrderLineRequest(product_id=products[n % len(products)], quantity=1)
            await bus.handle(
                CreateOrder(
                    command_id=order_id,
                    order_id=order_id,
                    customer_id=customers[n % len(customers)],
                    items=(line,),
                    shipping_address="1 Bench Street",
                )
            )

        return await rate(callers, place)


def one_event(n: int) -> AppendRequest:
    """An append of one event to a stream of its own."""
    stream_id = f"bench-{uuid.uuid4()}"
    new = NewEvent(type="ValueClaimed", schema_version=1, data={"owner_id": str(n)})
    write = StreamWrite(stream_id=stream_id, expected_version=0, events=(new,))
    return AppendRequest(
        command_id=str(uuid.uuid4()), fingerprint="bench", aggregate_id=stream_id, writes=(write,)
    )


async def appends_per_second(folder: Path, callers: int) -> float:
    """One-event appends/s to fresh streams through services.store."""
    async with write_side(folder) as (store, _bus):
        return await rate(callers, lambda n: store.append(one_event(n)))


def measured(
    measure: Callable[[Path, int], Coroutine[Any, Any, float]], folder: Path, callers: int
) -> float:
    """One measurement, in an event loop of its own."""
    return asyncio.run(measure(folder, callers))


def fresh_sqlite(folder: Path) -> str:
    """The URL of a new SQLite file in `folder`."""
    return f"sqlite+aiosqlite:///{folder}/{uuid.uuid4().hex}.db"


def run(options: argparse.Namespace) -> list[Row]:
    """The part's rows: createOrder at 1 and 64 callers, appends at 1, 8 and 64 callers."""
    with tempfile.TemporaryDirectory(prefix="bench-inprocess-") as name:
        folder = Path(name)
        print(f"[{PART}] {LIBRARY}\n  es single-event saves, then load-change-save", flush=True)
        saves = median_of(options.runs, lambda: library_saves(folder), "saves/s")
        commands = median_of(options.runs, lambda: library_commands(folder), "cmds/s")
        ours: dict[tuple[str, int], float] = {}
        for what, measure, callers in [
            ("createOrder", orders_per_second, 1),
            ("createOrder", orders_per_second, 64),
            ("append", appends_per_second, 1),
            ("append", appends_per_second, 8),
            ("append", appends_per_second, 64),
        ]:
            print(f"[{PART}] {what}, {callers} caller(s)", flush=True)
            ours[what, callers] = median_of(
                options.runs, partial(measured, measure, folder, callers), "/s"
            )
    return [
        *(
            row(
                PART,
                f"createOrder via bus, {callers} caller{'s' * (callers > 1)} (1 line, write side "
                f"alone) vs es load-change-save, 1 caller ({ES})",
                "cmds/s",
                ours["createOrder", callers],
                baseline=commands,
                target="≥3x",
                note=LIBRARY,
            )
            for callers in (1, 64)
        ),
        row(
            PART,
            f"appends via store, 1 caller (1 event, new stream) vs es save of a new "
            f"aggregate ({ES})",
            "appends/s",
            ours["append", 1],
            baseline=saves,
            target="≥1x",
            note=LIBRARY,
        ),
        row(
            PART,
            "appends via store, 8 callers (1 event, new stream)",
            "appends/s",
            ours["append", 8],
        ),
        row(
            PART,
            "appends via store, 64 callers (1 event, new stream)",
            "appends/s",
            ours["append", 64],
            target="≥30,000/s",
        ),
    ]

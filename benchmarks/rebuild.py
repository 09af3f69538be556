"""Part `rebuild`: each view's projection from position 0 to the head of a realistic log,
alone (the reaction, confirmation_emails, is never rebuilt, so it is left out).

The log (--rebuild-events events: customers, products, orders of 1-4 lines moving through
their statuses, some cancelled, the odd restock and price change) is written once through
the command bus, so every stream is one the domain's own handlers decided, and kept in
--cache (delete it to write it anew, e.g. after a change to the log's tables). While it is
written nothing projects it: the writer runs in distributed mode with no worker (a Redis
namespace of its own, deleted afterwards); without Redis, its projections run in-process
into a throwaway file, which is slower. Each measurement projects a fresh copy of the log
(or of its first --rebuild-sample events). The baseline is the eventsourcing library's
replay: its notifications read back page by page, each decoded into a domain event and
counted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import redis
from eventsourcing.domain import Aggregate, event
from sqlalchemy.engine import make_url

from benchmarks.inprocess import ES, LIBRARY, Library, library_app
from benchmarks.report import Row, median_of, row
from domain.commands import (
    AddProduct,
    CancelOrder,
    ChangeProductPrice,
    Command,
    CreateOrder,
    OrderLineRequest,
    OrderStatus,
    RegisterCustomer,
    RestockProduct,
    UpdateOrderStatus,
)
from orders.bootstrap import Services, build_projection_engine, start_services
from orders.settings import Settings
from projections.registry import PROJECTIONS

PART = "rebuild"
REDIS_URL = "redis://127.0.0.1:6379/0"
WRITERS = 256  # concurrent callers of the bus while the log is written
PAGE = 500  # notifications per page on the library side, as the engine's batch
# The steps an order goes through after it is placed, and how often each path is taken.
PATHS: list[tuple[tuple[str, ...], float]] = [
    ((), 0.25),
    (("CONFIRMED",), 0.15),
    (("CONFIRMED", "SHIPPED"), 0.10),
    (("CONFIRMED", "SHIPPED", "DELIVERED"), 0.35),
    (("CANCEL",), 0.10),
    (("CONFIRMED", "CANCEL"), 0.05),
]
Send = Callable[[Command], Awaitable[None]]
IN_FLIGHT = 32  # a writer's orders between placing one and its next step: steps come later
# Views only: a reaction (the confirmation e-mails) is never rebuilt from position 0.
REBUILDABLE = [projection for projection in PROJECTIONS if projection.rebuildable]


def run(options: argparse.Namespace) -> list[Row]:
    """One row per projection: events/s from position 0, against the library's replay."""
    log = cached_log(options.cache, options.rebuild_events)
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as name:
        folder = Path(name)
        sample = options.rebuild_sample or options.rebuild_events
        source = prefix_of(log, sample) if sample < head_of(log) else log
        events = head_of(source)
        library_events = min(events, options.library_events)
        print(f"[{PART}] {LIBRARY}\n  es replay of {library_events:,} events", flush=True)
        library = library_log(folder / "library.db", library_events)
        baseline = median_of(options.runs, lambda: library_replay(library), "events/s")
        library.close()
        scope = f"first {events:,} of a {head_of(log):,}-event log"  # rebuilt, then promoted
        if source == log:
            scope = f"all of a {events:,}-event log"
        versus = f"vs es replay+decode+count of {library_events:,} ({ES})"
        rows = []
        for projection in REBUILDABLE:
            print(f"[{PART}] {projection.name} over {events:,} events", flush=True)
            rate = median_of(
                options.runs, partial(projected, source, projection.name, folder), "events/s"
            )
            rows.append(
                row(
                    PART,
                    f"{projection.name} from 0, {scope}, {versus}",
                    "events/s",
                    rate,
                    baseline=baseline,
                    target="≥4x",
                    note=LIBRARY,
                )
            )
    return rows


# --- our side ---------------------------------------------------------------------------------


def projected(log: Path, name: str, folder: Path) -> float:
    """Events/s of a rebuild of `name` alone: a new generation filled from 0 to the head of
    a fresh copy of `log`, then promoted, as `orders projections rebuild` does. The live
    generation is marked at the head first, so that it has nothing to do meanwhile."""
    copy = folder / f"{name}-{uuid.uuid4().hex}.db"
    shutil.copy(log, copy)
    try:
        settings = Settings(database_url=sqlite_url(copy))
        engine = build_projection_engine(settings)
        engine.prepare()
        head = engine.operations.head()
        views = Path(str(make_url(settings.views_url).database))
        with contextlib.closing(sqlite3.connect(views)) as db, db:
            live = "UPDATE projection_checkpoints SET position = ? WHERE name = ?"
            db.execute(live, (head, name))
        generation = engine.operations.rebuild(name)
        started = time.perf_counter()
        engine.catch_up(name)
        seconds = time.perf_counter() - started
        status = next(s for s in engine.operations.statuses() if s.projection.name == name)
        if status.state != "RUNNING" or status.lag or status.live.generation != generation:
            raise RuntimeError(f"{name}'s rebuild did not go live: {status}")
        return head / seconds
    finally:
        remove_database(copy)


def head_of(log: Path) -> int:
    """The last position in a log file."""
    with contextlib.closing(sqlite3.connect(log)) as db:
        return int(db.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()[0])


def prefix_of(log: Path, events: int) -> Path:
    """A copy of `log` cut after position `events`, kept beside it."""
    prefix = log.with_name(f"{log.stem}.first-{events}.db")
    if prefix.exists():
        return prefix
    unfinished = log.with_name(f"{prefix.stem}.unfinished.db")
    shutil.copy(log, unfinished)
    with contextlib.closing(sqlite3.connect(unfinished)) as db:
        with db:
            db.execute("DELETE FROM events WHERE position > ?", (events,))
            db.execute("DELETE FROM commands WHERE position > ?", (events,))
        db.execute("VACUUM")  # a small file, quick to copy for each measurement
    checkpoint(unfinished)
    unfinished.rename(prefix)
    remove_database(unfinished)
    return prefix


def checkpoint(database: Path) -> None:
    """Move everything in the WAL into the database file itself, so one file is a copy."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise RuntimeError(f"{database} is still in use: its WAL could not be checkpointed")


def remove_database(database: Path) -> None:
    """Delete a SQLite file and its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def sqlite_url(database: Path) -> str:
    """The URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{database}"


# --- writing the log once ---------------------------------------------------------------------


def cached_log(cache: Path, events: int) -> Path:
    """The cached log of `events` events, written first if it is not there yet."""
    log = cache / f"log-{events}.db"
    if log.exists():
        print(f"[{PART}] cached log: {log} ({head_of(log):,} events)", flush=True)
        return log
    cache.mkdir(parents=True, exist_ok=True)
    unfinished = cache / f"log-{events}.unfinished.db"
    remove_database(unfinished)
    print(f"[{PART}] writing a {events:,}-event log to {log}, once", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-views-") as views:
        asyncio.run(write_log(unfinished, Path(views) / "views.db", events))
    checkpoint(unfinished)
    unfinished.rename(log)
    remove_database(unfinished)
    print(f"[{PART}] {head_of(log):,} events in {time.perf_counter() - started:.0f} s", flush=True)
    return log


@dataclass
class Shop:
    """The customers and products of the log, and what has been written so far."""

    customers: list[str]
    products: list[str]
    target: int
    head: int = 0
    commands: int = 0
    numbers: Iterator[int] = field(default_factory=itertools.count)

    @classmethod
    def sized_for(cls, events: int) -> Shop:
        """About one customer per 100 events and one product per 1,000."""
        customers = [str(uuid.uuid4()) for _ in range(max(events // 100, 100))]
        products = [str(uuid.uuid4()) for _ in range(max(events // 1_000, 20))]
        return cls(customers, products, events)

    @property
    def done(self) -> bool:
        return self.head >= self.target


async def write_log(database: Path, views: Path, events: int) -> None:
    """Write a log of at least `events` events through the command bus."""
    async with writer(database, views) as services:
        shop = Shop.sized_for(events)

        async def send(command: Command) -> None:
            record = await services.bus.handle(command)
            shop.head = max(shop.head, record.position)
            shop.commands += 1

        reporting = asyncio.create_task(report_progress(shop))
        try:
            await in_parallel(send(c) for c in catalogue(shop))
            await asyncio.gather(*(write_orders(shop, send, n) for n in range(WRITERS)))
        finally:
            reporting.cancel()


@contextlib.asynccontextmanager
async def writer(database: Path, views: Path) -> AsyncIterator[Services]:
    """The services with nothing projecting: Redis wake-ups nobody hears, or no Redis."""
    namespace = f"bench-{uuid.uuid4().hex[:12]}"
    redis_url = REDIS_URL if redis_reachable() else None
    settings = Settings(
        database_url=sqlite_url(database),
        read_database_url=sqlite_url(views),
        redis_url=redis_url,
        redis_namespace=namespace,
    )
    services = await start_services(settings)
    try:
        yield services
    finally:
        await services.close()
        if redis_url is not None:
            delete_namespace(redis_url, namespace)


def redis_reachable() -> bool:
    """Whether the local Redis answers."""
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def delete_namespace(url: str, namespace: str) -> None:
    """Delete every Redis key of a namespace."""
    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=f"{namespace}*"))
        if keys:
            client.delete(*keys)


async def in_parallel(sends: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Await the coroutines WRITERS at a time."""
    pending = list(sends)
    for start in range(0, len(pending), WRITERS):
        await asyncio.gather(*pending[start : start + WRITERS])


def catalogue(shop: Shop) -> Iterator[Command]:
    """RegisterCustomer and AddProduct for the whole shop."""
    for customer_id in shop.customers:
        email = f"{customer_id}@bench.example"
        yield RegisterCustomer(
            command_id=str(uuid.uuid4()), customer_id=customer_id, name="Bench", email=email
        )
    for n, product_id in enumerate(shop.products):
        yield AddProduct(
            command_id=str(uuid.uuid4()),
            product_id=product_id,
            sku=f"SKU-{n}",
            name=f"Product {n}",
            description=f"The {n}th product",
            price_cents=100 + n % 5_000,
            initial_stock=1_000_000,
        )


async def write_orders(shop: Shop, send: Send, writer_number: int) -> None:
    """One writer: place orders and, a while later, move each along its path."""
    rng = random.Random(writer_number)
    in_flight: deque[tuple[str, list[str]]] = deque()
    while not shop.done:
        n = next(shop.numbers)
        order_id = str(uuid.uuid4())
        await send(new_order(shop, rng, order_id))
        steps = rng.choices([path for path, _ in PATHS], [weight for _, weight in PATHS])[0]
        in_flight.append((order_id, list(steps)))
        if len(in_flight) > IN_FLIGHT:
            earlier, remaining = in_flight.popleft()
            if remaining:
                await send(next_step(earlier, remaining.pop(0)))
                if remaining:
                    in_flight.append((earlier, remaining))
        if n % 100 == 0:
            await send(catalogue_change(shop, rng, n))


def new_order(shop: Shop, rng: random.Random, order_id: str) -> CreateOrder:
    """An order of 1-4 lines of distinct products."""
    products = rng.sample(shop.products, rng.randint(1, 4))
    return CreateOrder(
        command_id=str(uuid.uuid4()),
        order_id=order_id,
        customer_id=rng.choice(shop.customers),
        items=tuple(OrderLineRequest(product_id=p, quantity=rng.randint(1, 3)) for p in products),
        shipping_address=f"{rng.randint(1, 999)} Bench Street, Testville",
    )


def next_step(order_id: str, step: str) -> Command:
    """The command that moves an order one step along its path."""
    command_id = str(uuid.uuid4())
    if step == "CANCEL":
        return CancelOrder(command_id=command_id, order_id=order_id, reason="changed my mind")
    return UpdateOrderStatus(command_id=command_id, order_id=order_id, status=OrderStatus(step))


def catalogue_change(shop: Shop, rng: random.Random, n: int) -> Command:
    """A restock or a price change of some product."""
    product_id = rng.choice(shop.products)
    command_id = str(uuid.uuid4())
    if n % 200 == 0:
        return RestockProduct(command_id=command_id, product_id=product_id, quantity=500)
    return ChangeProductPrice(
        command_id=command_id, product_id=product_id, price_cents=rng.randint(100, 5_000)
    )


async def report_progress(shop: Shop) -> None:
    """Print how far the log is, every five seconds."""
    started = time.perf_counter()
    while True:
        await asyncio.sleep(5)
        seconds = time.perf_counter() - started
        print(
            f"  {shop.head:,} / {shop.target:,} events, {shop.commands / seconds:,.0f} commands/s",
            flush=True,
        )


# --- the library's side -----------------------------------------------------------------------


class Order(Aggregate):
    """The library's order: placed with lines like ours, then moved along its statuses."""

    @event("Placed")
    def __init__(self, customer_id: str, lines: list[dict[str, object]], address: str) -> None:
        self.customer_id = customer_id
        self.lines = lines
        self.address = address
        self.status = "PENDING"

    @event("StatusChanged")
    def change_status(self, status: str) -> None:
        self.status = status


def library_log(database: Path, events: int) -> Library:
    """The library's application over a SQLite file of at least `events` order events,
    saved a hundred orders at a time."""
    app = library_app(database)
    rng = random.Random(0)
    written = 0
    while written < events:
        batch = [library_order(rng) for _ in range(100)]
        app.save(*batch)
        written += sum(order.version for order in batch)  # a new aggregate's: its events
    return app


def library_order(rng: random.Random) -> Order:
    """A library order of 1-4 lines, placed and then confirmed and shipped, or not."""
    lines: list[dict[str, object]] = [
        {
            "product_id": str(uuid.uuid4()),
            "product_name": f"Product {n}",
            "unit_price_cents": rng.randint(100, 5_000),
            "quantity": rng.randint(1, 3),
        }
        for n in range(rng.randint(1, 4))
    ]
    order = Order(str(uuid.uuid4()), lines, "1 Bench Street, Testville")
    for status in ("CONFIRMED", "SHIPPED")[: rng.randint(0, 2)]:
        order.change_status(status)
    return order


def library_replay(app: Library) -> float:
    """Events/s of reading every notification back, PAGE at a time, decoding each, counting."""
    count, start = 0, 1
    started = time.perf_counter()
    while page := app.recorder.select_notifications(start, PAGE):
        for notification in page:
            app.mapper.to_domain_event(notification)
            count += 1
        start = page[-1].id + 1
    return count / (time.perf_counter() - started)

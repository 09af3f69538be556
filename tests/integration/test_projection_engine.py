"""The projection engine on real SQLite and PostgreSQL databases, fed by the real write side.

Batches and checkpoints, failure and back-off, the operator's retry and skip, rebuilds
beside the live generation, concurrent runners, a runner killed mid-batch, and the sweep.
Most tests use the "ledger" projection (tests/integration/projection_child.py), which
records how many times it applied each position, so double applies and skips show.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, inspect, select

from domain.bus import CommandBus
from domain.commands import (
    AddProduct,
    CreateOrder,
    OrderLineRequest,
    OrderStatus,
    RegisterCustomer,
    RestockProduct,
    UpdateOrderStatus,
)
from domain.events import EVENT_TYPES, Event
from domain.eventstore import EventStore
from domain.log import AppendRequest, NewEvent, RecordedEvent, StreamWrite
from domain.logreader import LogReader
from domain.utc import as_utc
from orders.database import create_sync_engine
from projections import customer_orders, order_details, order_search
from projections.checkpoints import Checkpoint, checkpoints, skipped_events
from projections.engine import ProjectionEngine
from projections.projection import Change, Projection, Put, Rows
from projections.registry import PROJECTIONS
from projections.status import Status
from tests.integration.projection_child import entries_table, ledger, tally_table
from tests.views import live_tables

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = "00000000-0000-4000-8000-000000000001"
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

MakeEngine = Callable[..., ProjectionEngine]


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def engines(database_url: str, store: EventStore) -> Iterator[MakeEngine]:
    """Builds projection engines on the test's database (after the log's schema exists)."""
    made: list[Engine] = []

    def sync(*, writes: bool) -> Engine:
        made.append(create_sync_engine(database_url, writes=writes))
        return made[-1]

    def make(projections: Sequence[Projection], **options: Any) -> ProjectionEngine:
        return ProjectionEngine(
            sync(writes=True),
            sync(writes=False),
            LogReader(sync(writes=False)),
            projections,
            **options,
        )

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def views(database_url: str) -> Iterator[Engine]:
    """A plain reader of the views' database, for the tests' own looks at the tables."""
    engine = create_sync_engine(database_url, writes=False)
    yield engine
    engine.dispose()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def new_id() -> str:
    return str(uuid.uuid4())


async def grow_log_to(bus: CommandBus, store: EventStore, head: int) -> None:
    """Append events until the log holds exactly `head`: a product (2 events), then restocks
    of it (1 event each)."""
    if await store.head_position() == 0:
        await bus.handle(
            AddProduct(
                command_id=new_id(),
                product_id=PRODUCT,
                sku="MUG",
                name="Mug",
                description=None,
                price_cents=900,
                initial_stock=0,
            )
        )
    while await store.head_position() < head:
        await bus.handle(RestockProduct(command_id=new_id(), product_id=PRODUCT, quantity=1))
    assert await store.head_position() == head


class Shop:
    """Real orders through the real command bus, for the real projections."""

    def __init__(self, bus: CommandBus) -> None:
        self._bus = bus
        self.customer_id = new_id()
        self.product_id = new_id()

    async def open(self) -> None:
        """4 events: a customer (and its e-mail claim), a product (and its SKU claim)."""
        await self._bus.handle(
            RegisterCustomer(
                command_id=new_id(),
                customer_id=self.customer_id,
                name="Ann",
                email=f"{self.customer_id}@example.com",
            )
        )
        await self._bus.handle(
            AddProduct(
                command_id=new_id(),
                product_id=self.product_id,
                sku=self.product_id,
                name="Mug",
                description=None,
                price_cents=900,
                initial_stock=1000,
            )
        )

    async def order(self) -> str:
        """2 events: the order, and its stock reservation."""
        order_id = new_id()
        await self._bus.handle(
            CreateOrder(
                command_id=new_id(),
                order_id=order_id,
                customer_id=self.customer_id,
                items=(OrderLineRequest(product_id=self.product_id, quantity=2),),
                shipping_address="1 Main St",
            )
        )
        return order_id

    async def confirm(self, order_id: str) -> None:
        """1 event."""
        await self._bus.handle(
            UpdateOrderStatus(command_id=new_id(), order_id=order_id, status=OrderStatus.CONFIRMED)
        )


def read(views: Engine, table: Table) -> list[dict[str, Any]]:
    with views.connect() as conn:
        query = select(table).order_by(*table.primary_key.columns)
        return [dict(row._mapping) for row in conn.execute(query)]


def applied(engine: ProjectionEngine, views: Engine, name: str = "ledger") -> dict[int, int]:
    """How many times the live ledger `name` applied each position."""
    table = live_tables(engine, name)[entries_table(name)]
    return {row["position"]: row["applied"] for row in read(views, table)}


def tally(engine: ProjectionEngine, views: Engine, name: str = "ledger") -> dict[str, Any]:
    rows = read(views, live_tables(engine, name)[tally_table(name)])
    return rows[0] if rows else {"events": 0, "position_sum": 0, "last_position": 0}


def once(positions: Iterator[int] | range | list[int]) -> dict[int, int]:
    return dict.fromkeys(positions, 1)


def checkpoint(engine: ProjectionEngine, name: str = "ledger", generation: int = 1) -> Checkpoint:
    found = engine.operations.checkpoint(name, generation)
    assert found is not None, f"{name} has no generation {generation}"
    return found


def status(engine: ProjectionEngine, name: str) -> Status:
    return next(s for s in engine.operations.statuses() if s.projection.name == name)


def table_names(views: Engine) -> set[str]:
    with views.connect() as conn:
        return set(inspect(conn).get_table_names())


# --- batches and checkpoints ----------------------------------------------------------------


async def test_batches_take_batch_size_events_and_the_checkpoint_follows(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given 10 events and an engine that takes 3 at a time
    await grow_log_to(bus, store, 10)
    engine = engines([ledger()], batch_size=3)
    engine.prepare()

    # When batches run one at a time
    consumed, positions, last_entries = [], [], []
    for _ in range(5):
        consumed.append(engine.run_batch("ledger", 1))
        positions.append(checkpoint(engine).position)
        last_entries.append(max(applied(engine, views), default=0))

    # Then they take 3, 3, 3, 1, then nothing, and rows and checkpoint move together
    assert consumed == [3, 3, 3, 1, 0]
    assert positions == [3, 6, 9, 10, 10]
    assert last_entries == positions
    assert applied(engine, views) == once(range(1, 11))

    # When the log grows and the projection catches up
    await grow_log_to(bus, store, 17)
    engine.catch_up("ledger")

    # Then it is at the head, with one row per event, each of the right type, applied once
    assert checkpoint(engine).position == engine.operations.head() == 17
    assert status(engine, "ledger").state == "RUNNING"
    entries = read(views, live_tables(engine, "ledger")[entries_table("ledger")])
    log = LogReader(views).read_after(0, 100)
    assert [(e["position"], e["type"], e["applied"]) for e in entries] == [
        (e.position, e.type, 1) for e in log
    ]
    assert tally(engine, views) == {
        "name": "all",
        "events": 17,
        "position_sum": sum(range(1, 18)),
        "last_position": 17,
    }


async def test_a_failing_event_leaves_the_batch_before_it_written_and_nothing_of_itself(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given 10 events, a batch that would take them all, and a projector that fails on the 4th
    await grow_log_to(bus, store, 10)
    engine = engines([ledger(poisoned={4})], batch_size=10, clock=Clock())
    engine.prepare()

    # When the batch runs
    consumed = engine.run_batch("ledger", 1)

    # Then events 1-3 are written and checkpointed, and nothing of event 4 is
    assert consumed == 3
    assert applied(engine, views) == once([1, 2, 3])
    assert tally(engine, views)["events"] == 3
    failed = checkpoint(engine)
    assert failed.position == 3
    assert failed.failed_position == 4
    assert failed.attempts == 1
    assert failed.error is not None
    assert "Poisoned: cannot project event 4" in failed.error


async def test_a_failure_on_the_first_event_of_a_batch_keeps_the_checkpoint(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given a projection that has applied events 1-3 in a first batch
    await grow_log_to(bus, store, 10)
    poisoned = {4}
    clock = Clock()
    engine = engines(
        [ledger(poisoned=poisoned)], batch_size=3, backoff=timedelta(seconds=1), clock=clock
    )
    engine.prepare()
    assert engine.run_batch("ledger", 1) == 3

    # When the next batch fails on its very first event
    assert engine.run_batch("ledger", 1) == 0

    # Then the checkpoint stays after event 3: events 1-3 must not be applied again
    assert checkpoint(engine).failed_position == 4
    assert checkpoint(engine).position == 3, "the checkpoint went back: 1-3 would be re-applied"

    # And once the event projects again, every event ends up applied exactly once
    poisoned.clear()
    clock.advance(seconds=1)
    engine.catch_up("ledger")
    assert applied(engine, views) == once(range(1, 11))


# --- failure, back-off, retry and skip ------------------------------------------------------


async def test_a_poisoned_projection_backs_off_then_fails_while_the_others_keep_going(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given the real projections and a ledger that fails on event 5, among 10 events
    shop = Shop(bus)
    await shop.open()
    for _ in range(3):
        await shop.order()
    assert await store.head_position() == 10
    clock = Clock()
    engine = engines(
        [*PROJECTIONS, ledger(poisoned={5})],
        max_attempts=3,
        backoff=timedelta(seconds=10),
        clock=clock,
    )
    engine.prepare()

    # When everything catches up: attempt 1 fails, and waits out a 10 s back-off
    engine.catch_up_all()
    first = checkpoint(engine)
    assert (first.attempts, first.position, first.failed_position) == (1, 4, 5)
    assert first.retry_at is not None and as_utc(first.retry_at) == T0 + timedelta(seconds=10)
    assert status(engine, "ledger").state == "CATCHING_UP"

    # Then before retry_at nothing runs
    clock.advance(seconds=9)
    assert engine.run_batch("ledger", 1) == 0
    engine.catch_up("ledger")
    assert checkpoint(engine).attempts == 1

    # And at retry_at attempt 2 runs, fails, and doubles the back-off to 20 s
    clock.advance(seconds=1)
    engine.catch_up("ledger")
    second = checkpoint(engine)
    assert second.attempts == 2
    assert second.retry_at is not None
    assert as_utc(second.retry_at) == T0 + timedelta(seconds=30)
    clock.advance(seconds=19)
    engine.catch_up("ledger")
    assert checkpoint(engine).attempts == 2

    # And attempt 3, the last allowed, stops the projection in FAILED
    clock.advance(seconds=1)
    engine.catch_up("ledger")
    clock.advance(hours=1)
    assert engine.run_batch("ledger", 1) == 0
    failed = status(engine, "ledger")
    assert failed.state == "FAILED"
    assert failed.live.failed_position == 5
    assert failed.live.error is not None
    assert "at position 5" in failed.live.error
    assert "Poisoned: cannot project event 5" in failed.live.error
    assert failed.live.retry_at is None

    # Meanwhile the real projections went on, and still do as the log grows
    for _ in range(2):
        await shop.order()
    engine.catch_up_all()
    for projection in PROJECTIONS:
        assert status(engine, projection.name).state == "RUNNING", projection.name
        assert status(engine, projection.name).lag == 0, projection.name
    details = live_tables(engine, "order_details")["order_details"]
    assert len(read(views, details)) == 5
    assert status(engine, "ledger").state == "FAILED"

    # And the failed ledger holds events 1-4 once each, its checkpoint after event 4
    assert checkpoint(engine).position == 4
    assert applied(engine, views) == once([1, 2, 3, 4]), "retries applied events twice"
    assert tally(engine, views)["events"] == 4


async def test_retry_resumes_a_failed_projection_once_its_event_projects(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given a ledger stopped in FAILED on event 5
    await grow_log_to(bus, store, 10)
    poisoned = {5}
    engine = engines([ledger(poisoned=poisoned)], max_attempts=1, clock=Clock())
    engine.prepare()
    engine.catch_up("ledger")
    assert status(engine, "ledger").state == "FAILED"

    # When nobody intervenes, catching up does nothing
    engine.catch_up("ledger")
    assert checkpoint(engine).position == 4
    assert applied(engine, views) == once([1, 2, 3, 4])

    # When the cause is fixed and an operator retries
    poisoned.clear()
    engine.operations.retry("ledger")
    engine.catch_up("ledger")

    # Then the failing event and the rest are applied, once each
    resumed = status(engine, "ledger")
    assert resumed.state == "RUNNING"
    assert resumed.lag == 0
    assert resumed.live.error is None
    assert resumed.live.failed_position is None
    assert applied(engine, views) == once(range(1, 11))


async def test_skip_steps_over_exactly_the_failing_event_and_records_it(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given a ledger stopped in FAILED on event 5, which will never project
    await grow_log_to(bus, store, 10)
    clock = Clock()
    engine = engines([ledger(poisoned={5})], max_attempts=1, batch_size=3, clock=clock)
    engine.prepare()
    engine.catch_up("ledger")
    assert status(engine, "ledger").state == "FAILED"

    # When an operator skips it
    clock.advance(minutes=5)
    skipped = engine.operations.skip("ledger")
    engine.catch_up("ledger")

    # Then every event but the 5th is applied, once, and the projection is at the head
    assert skipped == 5
    assert applied(engine, views) == once([1, 2, 3, 4, 6, 7, 8, 9, 10])
    resumed = status(engine, "ledger")
    assert (resumed.state, resumed.lag, resumed.live.position) == ("RUNNING", 0, 10)

    # And the skip is on record, with the error it stepped over
    records = read(views, skipped_events)
    assert [(r["name"], r["generation"], r["position"]) for r in records] == [("ledger", 1, 5)]
    assert "Poisoned: cannot project event 5" in records[0]["error"]
    assert as_utc(records[0]["skipped_at"]) == T0 + timedelta(minutes=5)

    # And with nothing failed, there is nothing to skip
    assert engine.operations.skip("ledger") is None
    assert len(read(views, skipped_events)) == 1


# --- rebuilds -------------------------------------------------------------------------------


async def shop_with_orders(bus: CommandBus, store: EventStore) -> Shop:
    """16 events: a customer, a product, 5 orders, 2 of them confirmed."""
    shop = Shop(bus)
    await shop.open()
    orders = [await shop.order() for _ in range(5)]
    for order_id in orders[:2]:
        await shop.confirm(order_id)
    assert await store.head_position() == 16
    return shop


async def live_over_a_shop(
    bus: CommandBus, store: EventStore, engines: MakeEngine, projection: Projection
) -> ProjectionEngine:
    """`projection` live and caught up over `shop_with_orders`, 5 events a batch."""
    await shop_with_orders(bus, store)
    engine = engines([projection], batch_size=5)
    engine.prepare()
    engine.catch_up(projection.name)
    return engine


def order_details_rows(engine: ProjectionEngine, views: Engine) -> dict[str, list[dict[str, Any]]]:
    return {
        name: read(views, table) for name, table in live_tables(engine, "order_details").items()
    }


async def test_a_rebuild_fills_a_new_generation_while_the_old_one_serves(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given ORDER_DETAILS live in generation 1 (16 events, 5 at a time)
    shop = await shop_with_orders(bus, store)
    engine = engines([order_details.PROJECTION], batch_size=5)
    engine.prepare()
    engine.catch_up("order_details")
    before = order_details_rows(engine, views)
    assert len(before["order_details"]) == 5
    assert sorted(r["status"] for r in before["order_details"]) == [
        "CONFIRMED",
        "CONFIRMED",
        "PENDING",
        "PENDING",
        "PENDING",
    ]

    # When a rebuild starts and has run one batch, and the log grows meanwhile
    assert engine.operations.rebuild("order_details") == 2
    assert (
        engine.operations.rebuild("order_details") == 2
    )  # asking again joins the rebuild under way
    assert engine.generations("order_details") == [1, 2]
    assert engine.run_batch("order_details", 2) == 5
    await shop.order()
    assert engine.run_batch("order_details", 1) == 2  # the live generation keeps up

    # Then generation 1 still serves, with all the data, the new order included
    serving = live_tables(engine, "order_details")
    assert serving["order_details"].name == "order_details_g1"
    assert len(read(views, serving["order_details"])) == 6
    assert status(engine, "order_details").state == "REBUILDING"

    # When the rebuild catches up
    served = order_details_rows(engine, views)
    engine.catch_up("order_details")

    # Then generation 2 is live with the same rows, and generation 1 is gone
    assert engine.generations("order_details") == [2]
    live = live_tables(engine, "order_details")
    assert {t.name for t in live.values()} == {"order_details_g2", "order_details_customers_g2"}
    assert order_details_rows(engine, views) == served
    assert not {"order_details_g1", "order_details_customers_g1"} & table_names(views)
    rebuilt = status(engine, "order_details")
    assert (rebuilt.state, rebuilt.lag, rebuilt.live.generation) == ("RUNNING", 0, 2)


def index_names(views: Engine, table: str) -> set[str]:
    with views.connect() as conn:
        return {str(index["name"]) for index in inspect(conn).get_indexes(table)}


async def test_a_rebuild_gets_its_secondary_indexes_when_it_goes_live(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given CUSTOMER_ORDERS live, with its indexes
    engine = await live_over_a_shop(bus, store, engines, customer_orders.PROJECTION)
    live_indexes = index_names(views, "customer_orders_g1")
    assert live_indexes

    # When it is rebuilt: while it fills, the new generation has no secondary index
    engine.operations.rebuild("customer_orders")
    assert engine.run_batch("customer_orders", 2) == 5
    assert index_names(views, "customer_orders_g2") == set()

    # Then once it has caught up and gone live, it has every index generation 1 had
    engine.catch_up("customer_orders")
    assert engine.generations("customer_orders") == [2]
    assert index_names(views, "customer_orders_g2") == {
        name.replace("_g1", "_g2") for name in live_indexes
    }


async def test_a_rebuild_leaves_nothing_of_the_generation_it_replaced(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given ORDER_SEARCH live, with its full-text index (SQLite: a table of its own)
    engine = await live_over_a_shop(bus, store, engines, order_search.PROJECTION)
    first = {name for name in table_names(views) if name.startswith("order_search")}
    assert {"order_search_g1", "order_search_customers_g1"} <= first

    # When it is rebuilt and the new generation goes live
    engine.operations.rebuild("order_search")
    engine.catch_up("order_search")

    # Then nothing of generation 1 is left: its index's table neither
    left = {name for name in table_names(views) if name.startswith("order_search")}
    assert left == {name.replace("_g1", "_g2") for name in first}


async def test_a_rebuild_goes_live_when_the_log_is_a_whole_number_of_batches(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given a live ledger over 12 events, 4 at a time (a rebuild too)
    await grow_log_to(bus, store, 12)
    engine = engines([ledger()], batch_size=4, rebuild_batch_size=4)
    engine.prepare()
    engine.catch_up("ledger")

    # When it is rebuilt and caught up
    engine.operations.rebuild("ledger")
    engine.catch_up("ledger")

    # Then the new generation, at the head, is live: no event is needed to switch
    assert checkpoint(engine, generation=2).position == 12
    assert engine.generations("ledger") == [2], "caught up, yet the rebuild never went live"
    assert status(engine, "ledger").state == "RUNNING"


async def test_a_rebuild_takes_bigger_batches_than_a_live_projection(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given a live ledger over 20 events, 3 at a time, and rebuilds 8 at a time
    await grow_log_to(bus, store, 20)
    batches: list[tuple[str, int]] = []
    engine = engines(
        [ledger()],
        batch_size=3,
        rebuild_batch_size=8,
        on_applied=lambda name, events, _seconds: batches.append((name, events)),
    )
    engine.prepare()
    engine.catch_up("ledger")
    assert [events for _, events in batches] == [3, 3, 3, 3, 3, 3, 2]

    # When it is rebuilt
    batches.clear()
    engine.operations.rebuild("ledger")
    engine.catch_up("ledger")

    # Then the rebuild ran 8, 8, then 4 and went live, every event applied once
    assert [events for _, events in batches] == [8, 8, 4]
    assert engine.generations("ledger") == [2]
    assert applied(engine, views) == once(range(1, 21))


async def test_a_new_version_is_rebuilt_beside_the_old_and_goes_live_once_caught_up(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given ORDER_DETAILS version 1, live and caught up
    await shop_with_orders(bus, store)
    old = engines([order_details.PROJECTION], batch_size=5)
    old.prepare()
    old.catch_up("order_details")
    served = order_details_rows(old, views)

    # When an engine with version 2 of it starts
    bumped = replace(order_details.PROJECTION, version=2)
    new = engines([bumped], batch_size=5)
    new.prepare()
    new.prepare()  # a second start does not start a second rebuild

    # Then version 2 is being built as generation 2, and version 1 still serves
    assert new.generations("order_details") == [1, 2]
    building = checkpoint(new, "order_details", 2)
    assert (building.version, building.live, building.position) == (2, False, 0)
    assert live_tables(new, "order_details")["order_details"].name == "order_details_g1"
    assert status(new, "order_details").state == "REBUILDING"

    # When it catches up
    new.catch_up("order_details")

    # Then version 2 is live with the same rows, and version 1's tables are gone
    assert new.generations("order_details") == [2]
    live = checkpoint(new, "order_details", 2)
    assert (live.version, live.live, live.position) == (2, True, 16)
    assert order_details_rows(new, views) == served
    assert "order_details_g1" not in table_names(views)
    new.prepare()
    assert new.generations("order_details") == [2]


# --- many runners, crashes, and the sweep ---------------------------------------------------


async def test_concurrent_runners_never_apply_an_event_twice(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given 120 events and two engines (as two processes would have), each with two threads
    await grow_log_to(bus, store, 120)
    projection = ledger(delay=0.0005)
    first = engines([projection], batch_size=5)
    second = engines([projection], batch_size=5)
    first.prepare()
    second.prepare()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(engine: ProjectionEngine) -> None:
        try:
            start.wait(timeout=10)
            for _ in range(3):
                engine.catch_up("ledger")
        except BaseException as error:
            errors.append(error)

    # When all four catch up at once
    threads = [threading.Thread(target=run, args=(e,)) for e in (first, second, first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # Then every event was applied exactly once
    assert not any(thread.is_alive() for thread in threads), "a runner hung"
    assert errors == []
    assert checkpoint(first).position == 120
    assert applied(first, views) == once(range(1, 121))
    assert tally(first, views)["events"] == 120


def wait_for(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not appear within {timeout} s"
        time.sleep(0.01)


async def test_a_runner_killed_mid_batch_neither_skips_nor_doubles_an_event(
    bus: CommandBus,
    store: EventStore,
    engines: MakeEngine,
    views: Engine,
    database_url: str,
    tmp_path: Path,
):
    # Given 100 events, which a child runner applies 10 per batch at 10 ms per event
    await grow_log_to(bus, store, 100)
    engine = engines([ledger()], batch_size=10)
    engine.prepare()
    moments = []
    progress = []

    # When three runners in turn are SIGKILLed at a random moment of their run
    for round_ in range(3):
        ready = tmp_path / f"ready-{round_}"
        runner = [sys.executable, "-m", "tests.integration.projection_child"]
        child = subprocess.Popen([*runner, database_url, str(ready), "0.01", "10"], cwd=ROOT)
        try:
            wait_for(ready, timeout=20)
            moments.append(random.uniform(0.05, 0.25))
            time.sleep(moments[-1])
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL, f"runner {round_} ended before its kill"
        progress.append(checkpoint(engine).position)

    # Then each checkpoint is a whole number of batches, and a fresh runner finishes the job
    assert all(position % 10 == 0 for position in progress), progress
    assert progress[-1] < 100, "the killed runners left nothing to do"
    engine.catch_up("ledger")
    assert checkpoint(engine).position == 100
    assert applied(engine, views) == once(range(1, 101)), f"killed after {moments} s"
    assert tally(engine, views) == {
        "name": "all",
        "events": 100,
        "position_sum": sum(range(1, 101)),
        "last_position": 100,
    }


async def test_the_sweep_catches_up_events_whose_wake_up_was_lost(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given every projection caught up with an empty log
    engine = engines([*PROJECTIONS, ledger()])
    engine.prepare()
    engine.catch_up_all()

    # When commands append events and no runner is told about them
    await shop_with_orders(bus, store)
    assert all(s.lag == 16 for s in engine.operations.statuses())

    # Then the next sweep catches every projection up
    engine.catch_up_all()
    for projection_status in engine.operations.statuses():
        assert (projection_status.state, projection_status.lag) == ("RUNNING", 0)
    assert len(read(views, live_tables(engine, "order_details")["order_details"])) == 5
    assert applied(engine, views) == once(range(1, 17))


def broken(name: str = "broken", at: set[int] | None = None) -> Projection:
    """A projection whose writes fail in the database (a NOT NULL column left out): for the
    events at positions `at`, or for every event."""
    metadata = MetaData()
    table = Table(
        f"{name}_rows",
        metadata,
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("required", String(10), nullable=False),
    )

    def project(_event: Event, meta: RecordedEvent, _rows: Rows) -> list[Change]:
        required = None if at is None or meta.position in at else "yes"
        return [Put(table.name, {"position": meta.position, "required": required})]

    return Projection(
        name=name,
        version=1,
        view=None,
        tables=(table,),
        handles=frozenset(EVENT_TYPES.values()),
        project=project,
    )


async def test_projections_keeping_up_run_together_and_one_far_behind_catches_up_alone(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given two ledgers, one caught up to 10 and one still at 0, batches of 3
    engine = engines([ledger("ahead"), ledger("behind")], batch_size=3)
    engine.prepare()
    await grow_log_to(bus, store, 10)
    engine.catch_up("ahead")
    # When the log grows and every projection is woken
    await grow_log_to(bus, store, 14)
    engine.catch_up_all()
    # Then both have every event, each applied once
    assert applied(engine, views, "ahead") == once(range(1, 15))
    assert applied(engine, views, "behind") == once(range(1, 15))


async def test_a_projection_whose_writes_fail_runs_alone_and_holds_no_other_back(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given a ledger beside a projection whose every write fails in the database
    engine = engines([broken(), ledger()])
    engine.prepare()
    await grow_log_to(bus, store, 5)
    # When every projection is woken, twice, as the log grows
    engine.catch_up_all()
    await grow_log_to(bus, store, 8)
    engine.catch_up_all()
    # Then the ledger has every event once, and the broken one has moved not at all
    assert applied(engine, views) == once(range(1, 9))
    assert checkpoint(engine, "broken").position == 0


async def test_a_batch_the_database_refuses_is_halved_until_the_event_at_fault_fails_alone(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given 10 events, one batch for them all, and a view that cannot store event 7's row
    await grow_log_to(bus, store, 10)
    clock = Clock()
    engine = engines([broken(at={7})], batch_size=10, max_attempts=2, clock=clock)
    engine.prepare()

    # When it catches up
    engine.catch_up("broken")

    # Then events 1-6 are written, and event 7 is the failure, with the database's error
    rows_of = live_tables(engine, "broken")["broken_rows"]
    assert [row["position"] for row in read(views, rows_of)] == [1, 2, 3, 4, 5, 6]
    first = status(engine, "broken")
    assert (first.live.position, first.live.failed_position, first.live.attempts) == (6, 7, 1)
    assert first.live.error is not None and "at position 7: IntegrityError" in first.live.error
    assert first.state == "CATCHING_UP"

    # And after its last attempt it is FAILED, where skip steps over event 7 alone
    clock.advance(hours=1)
    engine.catch_up("broken")
    assert status(engine, "broken").state == "FAILED"
    assert engine.operations.skip("broken") == 7
    engine.catch_up("broken")
    assert [row["position"] for row in read(views, rows_of)] == [1, 2, 3, 4, 5, 6, 8, 9, 10]
    assert (status(engine, "broken").state, status(engine, "broken").lag) == ("RUNNING", 0)


# SQLite only: PostgreSQL's log refuses such text itself (JSONB), so no view is ever handed it.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_text_no_view_can_store_fails_only_the_projections_that_write_it(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given a customer whose name holds a lone surrogate, already in the log (the edge now
    # refuses one; an older log may hold it), between two good orders
    shop = await shop_with_orders(bus, store)
    name = "a\ud800b"
    customer_id = new_id()
    registered = NewEvent(
        type="CustomerRegistered",
        schema_version=1,
        data={"customer_id": customer_id, "name": name, "email": "x@example.com"},
    )
    await store.append(
        AppendRequest(
            command_id=new_id(),
            fingerprint="f",
            aggregate_id=customer_id,
            writes=(
                StreamWrite(
                    stream_id=f"customer-{customer_id}", expected_version=0, events=(registered,)
                ),
            ),
        )
    )
    poisoned = await store.head_position()
    await shop.order()
    clock = Clock()
    engine = engines(PROJECTIONS, max_attempts=1, clock=clock)
    engine.prepare()

    # When every projection catches up
    engine.catch_up_all()

    # Then those that store customers' names are FAILED on that event, with the error; the
    # rest run
    writers = {p.name for p in PROJECTIONS if "CustomerRegistered" in p.handled_types}
    assert writers == {
        "order_details",
        "customer_orders",
        "order_search",
        "customer_summary",
        "confirmation_emails",
    }
    for projection in PROJECTIONS:
        found = status(engine, projection.name)
        if projection.name in writers:
            assert found.state == "FAILED", projection.name
            assert found.live.failed_position == poisoned
            assert found.live.error is not None and "surrogate" in found.live.error
        else:
            assert (found.state, found.lag) == ("RUNNING", 0), projection.name

    # And skip brings each back, with the events after it applied
    for projection_name in writers:
        clock.advance(seconds=1)
        assert engine.operations.skip(projection_name) == poisoned
    engine.catch_up_all()
    for projection in PROJECTIONS:
        assert (status(engine, projection.name).state, status(engine, projection.name).lag) == (
            "RUNNING",
            0,
        ), projection.name


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_round_waits_for_a_projection_another_process_holds_then_catches_it_up(
    bus: CommandBus, store: EventStore, engines: MakeEngine, views: Engine
):
    # Given the projections caught up, and another process in the middle of a batch of
    # product_catalog (its checkpoint row locked), which read the log before what follows
    engine = engines(PROJECTIONS)
    engine.prepare()
    await grow_log_to(bus, store, 3)
    engine.catch_up_all()
    other = views.connect()
    held = other.begin()
    other.execute(
        select(checkpoints).where(checkpoints.c.name == "product_catalog").with_for_update()
    )
    # When events are appended and this process is woken for them
    await grow_log_to(bus, store, 5)
    woken = threading.Thread(target=engine.catch_up_all)
    woken.start()
    time.sleep(0.5)
    held.rollback()  # the other process's batch ends
    other.close()
    woken.join(10)
    # Then the wake-up was not lost on the projection that was busy: it caught up too
    assert not woken.is_alive()
    assert {s.projection.name: s.lag for s in engine.operations.statuses()} == dict.fromkeys(
        (p.name for p in PROJECTIONS), 0
    )

"""Set-based rebuilds (projections/set_based.py) build exactly what the projectors build.

On SQLite, with the views in their own file and the log attached to them, as the embedded
default runs: each view is kept live event by event, then rebuilt from position 0 in one
go, and every table of the two generations must hold the same rows, byte for byte (JSON
key order and time text included: queries compare times as text). The log comes through
the real command bus and holds what the statements must get right: cancellations before
and after confirmation, one on a later day than its order, shipped and released stock,
restocks, several price changes, a customer without orders, a product never ordered, text
that only Python folds, and quotes, backslashes and line breaks.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from domain.bus import CommandBus
from domain.commands import (
    AddProduct,
    CancelOrder,
    ChangeProductPrice,
    CreateOrder,
    OrderLineRequest,
    OrderStatus,
    RegisterCustomer,
    RestockProduct,
    UpdateOrderStatus,
)
from domain.errors import DomainError
from domain.logreader import LogReader
from orders.bootstrap import whole_log
from orders.database import create_sync_engine
from orders.settings import Settings
from projections import customer_summary, product_catalog
from projections.engine import ProjectionEngine, Ranges
from projections.generations import GenerationTables
from projections.projection import Projection
from projections.registry import PROJECTIONS
from projections.set_based import SetBased
from tests.integration.conftest import open_store

pytestmark = pytest.mark.anyio
NAMES = ["Mug", "Crème Brûlée", "Ǆar", "Idle"]  # text only Python folds; one never ordered
REBUILDABLE = [p for p in PROJECTIONS if p.rebuildable]
Rows = dict[str, list[tuple[Any, ...]]]


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/orders.db")


@pytest.fixture
async def bus(settings: Settings) -> AsyncIterator[CommandBus]:
    store = open_store(settings.database_url)
    await store.create_schema()
    yield CommandBus(store)
    await store.close()


async def trade(bus: CommandBus, settings: Settings) -> None:
    """A small shop's log: every kind of event the views handle, in every order's path."""
    send = bus.handle
    people = ["Ann", "Zoë Ångström", "STRASSE", "No Orders"]
    customers = [new_id() for _ in people]
    for customer_id, name in zip(customers, people, strict=True):
        await send(
            RegisterCustomer(
                command_id=new_id(), customer_id=customer_id, name=name, email=f"{customer_id}@x.io"
            )
        )
    products = [new_id() for _ in NAMES]
    for n, (product_id, name) in enumerate(zip(products, NAMES, strict=True)):
        await send(
            AddProduct(
                command_id=new_id(),
                product_id=product_id,
                sku=f"SKU-{n}",
                name=name,
                description=None if n % 2 else f"the {name}",
                price_cents=500 + 100 * n,
                initial_stock=50,
            )
        )
    await send(RestockProduct(command_id=new_id(), product_id=products[0], quantity=7))
    paths = [(), ("CONFIRMED",), ("CONFIRMED", "SHIPPED"), ("CONFIRMED", "SHIPPED", "DELIVERED")]
    paths += [("CANCEL",), ("CONFIRMED", "CANCEL")]
    for n in range(18):
        order_id = new_id()
        lines = tuple(
            OrderLineRequest(product_id=products[(n + k) % 3], quantity=1 + (n + k) % 3)
            for k in range(1 + n % 3)
        )
        await send(
            CreateOrder(
                command_id=new_id(),
                order_id=order_id,
                customer_id=customers[n % 3],
                items=lines,
                shipping_address=f'{n} Rue de l\'Église, "B" \\ 2\nParis',
            )
        )
        if n in (9, 13):
            await send(
                ChangeProductPrice(command_id=new_id(), product_id=products[1], price_cents=n)
            )
        for step in paths[n % len(paths)]:
            if step == "CANCEL":
                reason = 'too "late"\nsorry'
                await send(CancelOrder(command_id=new_id(), order_id=order_id, reason=reason))
            else:
                await send(
                    UpdateOrderStatus(
                        command_id=new_id(), order_id=order_id, status=OrderStatus(step)
                    )
                )

    placed_the_day_before(settings)


def placed_the_day_before(settings: Settings) -> None:
    """Move the first cancelled order's placing to the day before, so that its cancellation
    falls on a later day (the log's own times all fall within the test's few seconds)."""
    log = create_sync_engine(settings.database_url, writes=True)
    with log.begin() as conn:
        moved = conn.execute(
            text(
                "UPDATE events SET recorded_at = '2026-01-01 23:59:59.999999' WHERE position = ("
                " SELECT min(placed.position) FROM events placed JOIN events cancelled"
                " ON cancelled.type = 'OrderCancelled'"
                " AND cancelled.data ->> '$.order_id' = placed.data ->> '$.order_id'"
                " WHERE placed.type = 'OrderCreated')"
            )
        )
        assert moved.rowcount == 1
    log.dispose()


def engine_for(settings: Settings, **options: Any) -> ProjectionEngine:
    """The engine as the service builds it on SQLite: set-based rebuilds on."""
    return ProjectionEngine(
        create_sync_engine(settings.views_url, writes=True),
        create_sync_engine(settings.views_url, writes=False),
        LogReader(create_sync_engine(settings.database_url, writes=False)),
        options.pop("projections", REBUILDABLE),
        whole_log=whole_log(settings),
        **options,
    )


@pytest.fixture
def views(settings: Settings) -> Iterator[Engine]:
    engine = create_sync_engine(settings.views_url, writes=False)
    yield engine
    engine.dispose()


def rows_of(settings: Settings, projection: Projection, generation: int) -> Rows:
    """Every row of every table of one generation, by logical table name, in key order, as
    SQLite stores it: JSON and times as the very text written."""
    database = make_url(settings.views_url).database
    found: Rows = {}
    with contextlib.closing(sqlite3.connect(f"{database}")) as db:
        for name, table in GenerationTables().tables(projection, generation).items():
            key = next(iter(table.primary_key.columns)).name
            found[name] = db.execute(f"SELECT * FROM {table.name} ORDER BY {key}").fetchall()
    return found


def rebuilt(
    settings: Settings, projection: Projection, *, first: int = 0, **options: Any
) -> tuple[Rows, Rows, list[int]]:
    """The live generation's rows as kept event by event, the rows of its rebuild (its
    `first` events applied event by event), and the sizes of the rebuild's batches."""
    batches: list[int] = []
    engine = engine_for(
        settings,
        projections=[projection],
        on_applied=lambda _name, events, _seconds: batches.append(events),
        **options,
    )
    try:
        engine.prepare()
        engine.catch_up(projection.name)
        kept = rows_of(settings, projection, 1)
        batches.clear()
        assert engine.operations.rebuild(projection.name) == 2
        if first:
            engine.run_batch(projection.name, 2, first)
        engine.catch_up(projection.name)
        assert engine.generations(projection.name) == [2], "the rebuild did not go live"
        return kept, rows_of(settings, projection, 2), batches
    finally:
        engine.close()


def head(settings: Settings) -> int:
    engine = create_sync_engine(settings.database_url, writes=False)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT max(position) FROM events")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("projection", REBUILDABLE, ids=lambda p: p.name)
async def test_a_set_based_rebuild_builds_every_row_the_projector_builds(
    projection: Projection, bus: CommandBus, settings: Settings
):
    # Given a log of every path an order can take, and the view kept event by event
    await trade(bus, settings)

    # When the view is rebuilt from position 0
    kept, rebuilt_rows, batches = rebuilt(settings, projection)

    # Then it was built in one go, up to the head, and not event by event
    assert projection.set_based is not None
    assert batches == [head(settings), 0]  # then an empty batch at the head: it goes live
    # And every table holds exactly the rows the projector wrote
    assert all(kept.values()), "the log left a table of the view empty: it tests nothing"
    assert rebuilt_rows == kept


@pytest.mark.parametrize("first, size", [(13, 5), (0, 1), (2, 3)])
@pytest.mark.parametrize("projection", REBUILDABLE, ids=lambda p: p.name)
async def test_a_set_based_rebuild_range_by_range_builds_every_row_the_projector_builds(
    projection: Projection, first: int, size: int, bus: CommandBus, settings: Settings
):
    # Given the same log, and the view kept event by event
    await trade(bus, settings)

    # When the view is rebuilt `first` events event by event, then `size` positions at a
    # time: ranges that part orders from their later steps, cancellations from their
    # orders, a product's stock moves from one another and from its price changes, and
    # (one at a time) every row from each event that refers to it
    ranges = Ranges(first=size, least=size, seconds=0, pause=0)
    kept, rebuilt_rows, batches = rebuilt(settings, projection, first=first, ranges=ranges)

    # Then every range after the first events was applied set-based, up to the head
    rest = head(settings) - first
    ranged = [size] * (rest // size) + [rest % size] * (rest % size > 0)
    assert batches == [first] * (first > 0) + ranged + [0]
    # And every table holds exactly the rows the projector wrote
    assert rebuilt_rows == kept


async def test_a_live_write_gets_the_views_lock_between_two_ranges_of_a_rebuild(
    bus: CommandBus, settings: Settings
):
    # Given a rebuild in ranges of 30 positions, each holding the views' write lock 0.4 s
    # (long enough for SQLite's busy handler to wait its longest between two tries)
    await trade(bus, settings)
    slowly = slowed(product_catalog.PROJECTION, 0.4)
    ranges: list[float] = []
    engine = engine_for(
        settings,
        projections=[slowly],
        ranges=Ranges(first=30, least=30, seconds=0),
        on_applied=lambda _name, _events, _seconds: ranges.append(time.perf_counter()),
    )
    try:
        engine.prepare()
        engine.catch_up(slowly.name)
        engine.operations.rebuild(slowly.name)
        rebuilding = threading.Thread(target=engine.catch_up, args=(slowly.name,))
        rebuilding.start()

        # When a live projection's write asks for that lock once the first range is done
        while not ranges:
            time.sleep(0.001)
        writer = create_sync_engine(settings.views_url, writes=True)
        with writer.begin() as conn:
            conn.execute(text("CREATE TABLE live_write (n INTEGER)"))
        written = time.perf_counter()
        writer.dispose()
        rebuilding.join()

        # Then it got the lock in the pause after the first or the second range, not after
        # the last
        assert len(ranges) >= 5, "the log is too short for five ranges"
        assert len([at for at in ranges if at < written]) <= 2
        assert engine.generations(slowly.name) == [2]
    finally:
        engine.close()


async def test_live_views_catch_up_in_another_thread_while_a_rebuild_runs_alone(
    bus: CommandBus, settings: Settings
):
    # Given a catalogue being rebuilt in 0.4 s ranges by one thread's catch-up, and the
    # customer summary kept live beside it
    await trade(bus, settings)
    catalog, slowly = product_catalog.PROJECTION, slowed(product_catalog.PROJECTION, 0.4)
    ranges: list[str] = []
    engine = engine_for(
        settings,
        projections=[slowly, customer_summary.PROJECTION],
        ranges=Ranges(first=30, least=30, seconds=0),
        on_applied=lambda name, _events, _seconds: ranges.append(name),
    )
    try:
        engine.prepare()
        engine.catch_up_all()
        engine.operations.rebuild(catalog.name)
        ranges.clear()
        rebuilding = threading.Thread(target=engine.catch_up_all)
        rebuilding.start()
        while catalog.name not in ranges:
            time.sleep(0.001)

        # When a customer registers meanwhile, and another thread catches up
        await bus.handle(
            RegisterCustomer(command_id=new_id(), customer_id=new_id(), name="Late", email="l@x.io")
        )
        engine.catch_up_all()

        # Then the summary has the customer while the rebuild is still running
        live = engine.operations.checkpoint(customer_summary.PROJECTION.name, 1)
        assert rebuilding.is_alive()
        assert live is not None and live.position == head(settings)
        rebuilding.join()
        assert engine.generations(catalog.name) == [2]
    finally:
        engine.close()


def slowed(projection: Projection, seconds: float) -> Projection:
    """`projection` whose set-based statements hold the views' write lock `seconds` more."""
    set_based = projection.set_based
    assert set_based is not None

    def slow(tables: Mapping[str, str], events: str) -> list[str]:
        return [*set_based.statements(tables, events), f"SELECT pause('{seconds}')"]

    functions = {**set_based.functions, "pause": lambda s: str(time.sleep(float(s)))}
    return replace(projection, set_based=SetBased(slow, functions))


async def test_searching_finds_orders_by_folded_words_in_a_set_based_rebuild(
    bus: CommandBus, settings: Settings, views: Engine
):
    # Given ORDER_SEARCH rebuilt in one go
    await trade(bus, settings)
    search = next(p for p in PROJECTIONS if p.name == "order_search")
    rebuilt(settings, search)

    # Then its full-text index is whole, and finds orders by words folded as the projector
    # folds them
    with views.connect() as conn:
        fts = "order_search_g2_fts"
        conn.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))
        for word in ("eglise", "zoe", "creme", "strasse"):
            found = conn.execute(
                text("SELECT count(*) FROM order_search_g2_fts WHERE order_search_g2_fts MATCH :w"),
                {"w": word},
            ).scalar_one()
            assert found, f"no order found by {word!r}"


# Payloads of a product added that only Python reads as the projector expects: an older
# schema version (version 1 had no description, which Python upcasts); an escaped surrogate
# pair (SQLite 3.40 would store bytes that are not UTF-8); a number of 19 digits.
ONLY_PYTHON = {
    "older schema": (
        1,
        '{"product_id": "old", "sku": "OLD", "name": "Old", "price_cents": 1, "initial_stock": 2}',
    ),
    "escaped surrogates": (
        2,
        '{"product_id": "old", "sku": "OLD", "name": "Old \\ud83d\\ude00",'
        ' "description": null, "price_cents": 1, "initial_stock": 2}',
    ),
    "19 digits": (
        2,
        '{"product_id": "old", "sku": "OLD", "name": "Old", "description": null,'
        ' "price_cents": 1, "initial_stock":1000000000000000000}',
    ),
}


@pytest.mark.parametrize("payload", ONLY_PYTHON.values(), ids=ONLY_PYTHON.keys())
async def test_a_log_with_payloads_only_python_reads_is_rebuilt_event_by_event(
    payload: tuple[int, str],
    bus: CommandBus,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
):
    # Given a product added by such a payload
    await trade(bus, settings)
    schema_version, data = payload
    position = append_raw(settings, "product-old", "ProductAdded", schema_version, data)

    # When the catalogue is rebuilt
    caplog.set_level(logging.INFO, logger="projections.engine")
    kept, rebuilt_rows, batches = rebuilt(settings, product_catalog.PROJECTION)

    # Then it went event by event, to the same rows, the product included
    assert "payloads only Python reads" in caplog.text
    assert batches == [position]  # one batch of the rebuild's size, which went live at once
    assert rebuilt_rows == kept
    assert any(row[0] == "old" for row in kept["product_catalog"])


async def test_past_a_range_it_refused_a_rebuild_goes_on_set_based(
    bus: CommandBus, settings: Settings
):
    # Given a log with a payload only Python reads in its middle (a product of an older
    # schema version added, then more orders and steps)
    await trade(bus, settings)
    schema_version, data = ONLY_PYTHON["older schema"]
    refused = append_raw(settings, "product-old", "ProductAdded", schema_version, data)
    await more_trade(bus, settings)

    # When the catalogue is rebuilt in ranges of 10 positions, in batches of 4 events
    tens = Ranges(first=10, least=10, seconds=0, pause=0)
    kept, rebuilt_rows, batches = rebuilt(
        settings, product_catalog.PROJECTION, ranges=tens, rebuild_batch_size=4
    )

    # Then the ranges before the one it refused went set-based, that one event by event,
    # and the ranges after it set-based again, to the same rows
    whole = (refused - 1) // 10  # ranges before the one holding the refused payload
    expected, position = [10] * whole, whole * 10
    while position < (whole + 1) * 10:
        expected, position = [*expected, 4], position + 4
    while head(settings) - position >= 10:
        expected, position = [*expected, 10], position + 10
    expected += [head(settings) - position] * (head(settings) > position) + [0]  # live
    assert batches == expected
    assert rebuilt_rows == kept


async def test_a_range_refused_is_not_counted_as_an_attempt_of_the_events_in_it(
    bus: CommandBus, settings: Settings
):
    # Given a log with a payload only Python reads
    await trade(bus, settings)
    schema_version, data = ONLY_PYTHON["older schema"]
    append_raw(settings, "product-old", "ProductAdded", schema_version, data)
    engine = engine_for(settings, projections=[product_catalog.PROJECTION])
    name = product_catalog.PROJECTION.name
    try:
        engine.prepare()
        engine.operations.rebuild(name)

        # When a range over it is refused
        assert engine.run_set_based(name, 2, head(settings)) == 0

        # Then the claim on it is taken back: the events' own attempts start from 0
        checkpoint = engine.operations.checkpoint(name, 2)
        assert checkpoint is not None and (checkpoint.position, checkpoint.attempts) == (0, 0)
    finally:
        engine.close()


async def test_an_event_its_projector_failed_on_is_not_applied_set_based_after_a_retry(
    bus: CommandBus, settings: Settings
):
    # Given a catalogue whose projector fails on every price change, and a rebuild that
    # went event by event and stopped on the first one
    await trade(bus, settings)

    def failing(event: Any, meta: Any, rows: Any) -> Any:
        if type(event).__name__ == "ProductPriceChanged":
            raise ValueError("no prices today")
        return product_catalog.PROJECTION.project(event, meta, rows)

    broken = replace(product_catalog.PROJECTION, project=failing)
    engine = engine_for(settings, projections=[broken], max_attempts=1)
    try:
        engine.prepare()
        engine.operations.rebuild(broken.name)
        engine.run_batch(broken.name, 2, 1_000)
        failed = engine.operations.checkpoint(broken.name, 2)
        assert failed is not None and failed.state.value == "FAILED"

        # When an operator retries it, and the rebuild goes on
        engine.operations.retry(broken.name)
        moved = engine.run_set_based(broken.name, 2, head(settings))
        engine.fill(broken.name, 2)

        # Then the failed event went to its projector again, not to the statements
        assert moved == 0
        again = engine.operations.checkpoint(broken.name, 2)
        assert again is not None and again.state.value == "FAILED"
        assert (again.position, again.failed_position) == (failed.position, failed.failed_position)
    finally:
        engine.close()


def append_raw(
    settings: Settings, stream_id: str, type_: str, schema_version: int, data: str
) -> int:
    """Append an event as an older writer left it, straight into the log; its position."""
    log = create_sync_engine(settings.database_url, writes=True)
    with log.begin() as conn:
        position = int(conn.execute(text("SELECT max(position) FROM events")).scalar_one()) + 1
        conn.execute(
            text(
                "INSERT INTO events (position, stream_id, version, type, schema_version, data,"
                " recorded_at) VALUES (:p, :s, 1, :t, :v, :d, '2026-01-01 00:00:00.000000')"
            ),
            {"p": position, "s": stream_id, "t": type_, "v": schema_version, "d": data},
        )
    log.dispose()
    return position


async def test_events_after_a_set_based_rebuild_are_applied_to_its_rows_event_by_event(
    bus: CommandBus, settings: Settings
):
    # Given every view kept live, and a rebuild of each done in one go up to the head
    await trade(bus, settings)
    engine = engine_for(settings)
    try:
        engine.prepare()
        engine.catch_up_all()
        for projection in REBUILDABLE:
            engine.operations.rebuild(projection.name)
            engine.run_set_based(projection.name, 2, head(settings))
            assert engine.operations.checkpoint(projection.name, 2).position == head(settings)

        # When more happens to the rows it built: a new order, then every step of others
        await more_trade(bus, settings)
        for projection in REBUILDABLE:  # the live generations alone, event by event
            engine.run_batch(projection.name, 1, 1_000)
        kept = {p.name: rows_of(settings, p, 1) for p in REBUILDABLE}
        for projection in REBUILDABLE:
            engine.catch_up(projection.name)

        # Then each rebuilt generation went live with exactly the rows of the live one
        for projection in REBUILDABLE:
            assert engine.generations(projection.name) == [2]
            assert rows_of(settings, projection, 2) == kept[projection.name], projection.name
    finally:
        engine.close()


async def more_trade(bus: CommandBus, settings: Settings) -> None:
    """After the log `trade` wrote: a price change, a restock, a new order, and the orders
    still pending confirmed or cancelled, the confirmed ones shipped."""
    log = create_sync_engine(settings.database_url, writes=False)
    with log.connect() as conn:
        placed = "SELECT data ->> '$.order_id', data ->> '$.customer_id' FROM events"
        orders = conn.execute(text(f"{placed} WHERE type = 'OrderCreated' ORDER BY position"))
        orders = orders.all()
        added = "SELECT data ->> '$.product_id' FROM events WHERE type = 'ProductAdded'"
        product = conn.execute(text(f"{added} LIMIT 1")).scalar_one()
    log.dispose()
    send = bus.handle
    await send(ChangeProductPrice(command_id=new_id(), product_id=product, price_cents=123))
    await send(RestockProduct(command_id=new_id(), product_id=product, quantity=3))
    await send(
        CreateOrder(
            command_id=new_id(),
            order_id=new_id(),
            customer_id=orders[0][1],
            items=(OrderLineRequest(product_id=product, quantity=2),),
            shipping_address="After the rebuild",
        )
    )
    for n, (order_id, _customer) in enumerate(orders):
        step = [
            UpdateOrderStatus(command_id=new_id(), order_id=order_id, status=OrderStatus.CONFIRMED),
            CancelOrder(command_id=new_id(), order_id=order_id, reason="after the rebuild"),
            UpdateOrderStatus(command_id=new_id(), order_id=order_id, status=OrderStatus.SHIPPED),
        ][n % 3]
        with contextlib.suppress(DomainError):  # a step the order's state refuses
            await send(step)


class Interrupted(BaseException):
    """What a time limit or a shutdown raises in the middle of a statement."""


async def test_an_interrupted_set_based_rebuild_is_not_tried_again(
    bus: CommandBus, settings: Settings
):
    # Given a catalogue whose set-based rebuild is interrupted for good once it has written
    await trade(bus, settings)

    def interrupted(tables: Mapping[str, str], events: str) -> list[str]:
        raise Interrupted

    broken = replace(product_catalog.PROJECTION, set_based=SetBased(interrupted))
    engine = engine_for(settings, projections=[broken])
    try:
        engine.prepare()
        engine.catch_up(broken.name)
        kept = rows_of(settings, broken, 1)
        engine.operations.rebuild(broken.name)
        with pytest.raises(Interrupted):
            engine.catch_up(broken.name)
        assert engine.operations.checkpoint(broken.name, 2).position == 0

        # When the next wake-up catches it up
        engine.catch_up(broken.name)

        # Then it went event by event, and not from 0 in one go again
        assert engine.generations(broken.name) == [2]
        assert rows_of(settings, broken, 2) == kept
    finally:
        engine.close()


async def test_statements_that_fail_leave_the_rebuild_to_go_event_by_event(
    bus: CommandBus, settings: Settings, caplog: pytest.LogCaptureFixture
):
    # Given a catalogue whose set-based statements fail halfway
    await trade(bus, settings)
    broken = replace(
        product_catalog.PROJECTION,
        set_based=SetBased(
            lambda tables, events: [
                f"INSERT INTO {tables['product_catalog']} (product_id) VALUES ('half')",
                "INSERT INTO nowhere VALUES (1)",
            ]
        ),
    )

    # When it is rebuilt
    kept, rebuilt_rows, batches = rebuilt(settings, broken)

    # Then nothing of the statements is left, and one batch built it all, event by event
    assert "set-based rebuild failed" in caplog.text
    assert batches == [head(settings)]
    assert rebuilt_rows == kept


def test_only_views_in_a_sqlite_file_of_their_own_read_the_whole_log(tmp_path: Path):
    # Given the default: the views beside the log, in a file of their own
    log = f"sqlite+aiosqlite:///{tmp_path}/orders.db"
    apart = whole_log(Settings(database_url=log))
    assert apart is not None
    apart.engine.dispose()
    # Then views in the log's own file (their write lock is the log's: a rebuild in one go
    # would hold up every command), or on PostgreSQL, rebuild event by event
    assert whole_log(Settings(database_url=log, read_database_url=log)) is None
    postgres = "postgresql+asyncpg://postgres@127.0.0.1:5432/orders"
    assert whole_log(Settings(database_url=postgres)) is None

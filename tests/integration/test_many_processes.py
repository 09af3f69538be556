"""Several processes appending to one log: no lost update, and positions in commit order."""

import asyncio
import multiprocessing
import uuid

import pytest

from domain.bus import CommandBus
from domain.commands import AddProduct, RestockProduct
from domain.eventstore import EventStore
from domain.streams import PRODUCTS
from tests.integration.conftest import open_store, read_log

pytestmark = pytest.mark.anyio

PROCESSES = 4
RESTOCKS_EACH = 40


async def _restock_many(database_url: str, product_id: str, count: int) -> None:
    store = open_store(database_url)
    bus = CommandBus(store)
    for _ in range(count):
        await bus.handle(
            RestockProduct(command_id=str(uuid.uuid4()), product_id=product_id, quantity=1)
        )
    await store.close()


def restock_many(database_url: str, product_id: str, count: int) -> None:
    """A child process: restock one unit at a time, racing the others for the same stream."""
    asyncio.run(_restock_many(database_url, product_id, count))


async def tail_log(database_url: str, store: EventStore, stop: asyncio.Event) -> list[int]:
    """Follow the log as a projection would: each read must go on exactly where the last ended."""
    seen: list[int] = []
    while not stop.is_set() or (await store.head_position()) > (seen[-1] if seen else 0):
        batch = [e.position for e in read_log(database_url, seen[-1] if seen else 0)]
        expected = list(range(len(seen) + 1, len(seen) + 1 + len(batch)))
        assert batch == expected, "a reader saw a position before a lower one was committed"
        seen += batch
        await asyncio.sleep(0.001)
    return seen


async def test_processes_racing_for_one_stream_lose_nothing(database_url: str, store: EventStore):
    # Given a product, when 4 processes restock it 40 times each, all at once
    product_id = str(uuid.uuid4())
    await CommandBus(store).handle(
        AddProduct(
            command_id="add",
            product_id=product_id,
            sku="S",
            name="N",
            description=None,
            price_cents=1,
            initial_stock=0,
        )
    )
    stop = asyncio.Event()
    tail = asyncio.create_task(tail_log(database_url, store, stop))
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=restock_many, args=(database_url, product_id, RESTOCKS_EACH))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        await asyncio.sleep(0.05)
    stop.set()
    seen = await tail
    # Then every restock counted once, the stream is gap-free, and so is the log
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    loaded = await store.load(PRODUCTS, product_id)
    assert loaded.state.on_hand == PROCESSES * RESTOCKS_EACH
    assert loaded.version == 1 + PROCESSES * RESTOCKS_EACH
    assert seen == list(range(1, await store.head_position() + 1))

"""The event store's rules, on every backend."""

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import insert

from domain.bus import CommandBus
from domain.commands import AddProduct, RestockProduct
from domain.errors import ConcurrencyError
from domain.eventstore import EventStore
from domain.log import AppendRequest, NewEvent, StreamWrite
from domain.streams import PRODUCTS
from domain.tables import events
from orders.database import create_sync_engine
from tests.integration.conftest import POSTGRES, open_store, read_log

pytestmark = pytest.mark.anyio
PRODUCT = "00000000-0000-4000-8000-000000000001"


def request(command_id: str, *writes: StreamWrite) -> AppendRequest:
    return AppendRequest(command_id=command_id, fingerprint="f", aggregate_id="a", writes=writes)


def write(stream_id: str, expected_version: int, count: int = 1) -> StreamWrite:
    new = tuple(
        NewEvent(type="ValueClaimed", schema_version=1, data={"owner_id": str(n)})
        for n in range(count)
    )
    return StreamWrite(stream_id=stream_id, expected_version=expected_version, events=new)


async def test_appends_number_streams_from_1_and_positions_globally(
    database_url: str, store: EventStore
):
    first = await store.append(request("c1", write("s-a", 0, 2)))
    second = await store.append(request("c2", write("s-b", 0), write("s-a", 2)))
    assert (first.version, first.position) == (2, 2)
    assert (second.version, second.position) == (1, 4)
    assert [(e.stream_id, e.version, e.position) for e in read_log(database_url)] == [
        ("s-a", 1, 1),
        ("s-a", 2, 2),
        ("s-b", 1, 3),
        ("s-a", 3, 4),
    ]
    assert [e.version for e in await store.read_stream("s-a", after_version=1)] == [2, 3]


async def test_events_carry_their_metadata(store: EventStore):
    await store.append(request("cmd-7", write("s", 0)))
    [event] = await store.read_stream("s")
    assert event.command_id == "cmd-7"
    assert event.correlation_id == "cmd-7"
    assert event.recorded_at.tzinfo is not None
    assert event.data == {"owner_id": "0"}


async def test_a_stale_expected_version_writes_nothing_of_the_command(store: EventStore):
    await store.append(request("c1", write("s-a", 0)))
    with pytest.raises(ConcurrencyError):
        # the first write is fine, the second is stale: neither may land
        await store.append(request("c2", write("s-b", 0), write("s-a", 0)))
    assert await store.read_stream("s-b") == []
    assert await store.head_position() == 1
    assert await store.find_command("c2") is None


async def test_a_command_id_is_applied_once(store: EventStore):
    first = await store.append(request("c1", write("s", 0)))
    again = await store.append(request("c1", write("s", 1)))
    assert again.replayed and not first.replayed
    assert (again.version, again.position) == (first.version, first.position)
    assert len(await store.read_stream("s")) == 1
    assert (await store.find_command("c1")).position == first.position


async def test_concurrent_appends_commit_together_and_race_fairly(
    database_url: str, store: EventStore
):
    # Given 50 callers racing for version 1 of one stream, and 50 writing their own streams
    racers = [store.append(request(f"race-{n}", write("hot", 0))) for n in range(50)]
    loners = [store.append(request(f"own-{n}", write(f"own-{n}", 0))) for n in range(50)]
    # When they all append at once
    outcomes = await asyncio.gather(*racers, *loners, return_exceptions=True)
    # Then exactly one racer wins, every loner lands, and positions stay gap-free
    winners = [o for o in outcomes[:50] if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, ConcurrencyError) for o in outcomes[:50] if o not in winners)
    assert not any(isinstance(o, Exception) for o in outcomes[50:])
    assert [e.position for e in read_log(database_url)] == list(range(1, 52))


async def test_old_payloads_are_upcast_on_read(database_url: str, store: EventStore):
    # Given a ProductAdded stored at schema version 1, before descriptions existed
    engine = create_sync_engine(database_url, writes=True)
    with engine.begin() as conn:
        conn.execute(
            insert(events).values(
                position=1,
                stream_id="product-p",
                version=1,
                type="ProductAdded",
                schema_version=1,
                data={
                    "product_id": "p",
                    "sku": "S",
                    "name": "N",
                    "price_cents": 5,
                    "initial_stock": 1,
                },
                recorded_at=datetime.now(UTC),
            )
        )
    engine.dispose()
    # When it is read, then it has today's shape
    [recorded] = await store.read_stream("product-p")
    assert recorded.decode().description is None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_writer_connection_cut_while_idle_is_replaced_without_failing_a_command(
    database_url: str, store: EventStore
):
    # Given a writer that has appended, and so keeps a connection between batches
    await store.append(request("c1", write("s-a", 0)))
    # When the server cuts every connection to the database while the writer is idle
    name = database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(f"postgresql://{POSTGRES}/postgres", timeout=5)
    try:
        cut = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
            name,
        )
    finally:
        await admin.close()
    assert cut >= 1, "no connection was cut: the test proved nothing"
    # Then the next command is appended on a new connection, not refused as unavailable
    second = await store.append(request("c2", write("s-a", 1)))
    assert second.version == 2
    assert [e.command_id for e in read_log(database_url)] == ["c1", "c2"]


async def test_a_state_cached_by_one_writer_is_forgotten_once_another_appends_to_it(
    database_url: str, store: EventStore, bus: CommandBus
):
    # Given a product restocked through this store (its state now in the writer's cache)
    def restock(command_id: str) -> RestockProduct:
        return RestockProduct(command_id=command_id, product_id=PRODUCT, quantity=1)

    add = AddProduct(
        command_id="add",
        product_id=PRODUCT,
        sku="S",
        name="N",
        description=None,
        price_cents=1,
        initial_stock=0,
    )
    await bus.handle(add)
    await bus.handle(restock("r1"))

    # When another process's writer restocks it, then this one does again
    other = open_store(database_url)
    try:
        await CommandBus(other).handle(restock("r2"))
    finally:
        await other.close()
    record = await bus.handle(restock("r3"))

    # Then the last restock was decided on the stream as the other left it: nothing lost
    assert record.version == 4
    assert (await store.load(PRODUCTS, PRODUCT)).state.on_hand == 3

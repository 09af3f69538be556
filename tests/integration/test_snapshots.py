"""Long streams load from a snapshot plus the events after it."""

from dataclasses import replace

import pytest

from domain import product
from domain.commands import AddProduct
from domain.events import Event, StockReserved
from domain.eventstore import EventStore
from domain.log import AppendRequest, Snapshot, StreamWrite
from domain.product import Product
from domain.streams import PRODUCTS
from tests.unit.fold import fold

pytestmark = pytest.mark.anyio

P = "00000000-0000-4000-8000-000000000001"
ADD = AddProduct(
    command_id="c",
    product_id=P,
    sku="S",
    name="N",
    description=None,
    price_cents=1,
    initial_stock=200_000,
)


async def append(store: EventStore, command_id: str, write: StreamWrite) -> None:
    await store.append(
        AppendRequest(command_id=command_id, fingerprint="f", aggregate_id=P, writes=(write,))
    )


def reservations(tag: str, count: int) -> list[Event]:
    return [StockReserved(product_id=P, order_id=f"{tag}-{n}", quantity=1) for n in range(count)]


async def test_a_product_with_100_000_orders_loads_from_its_snapshot(store: EventStore):
    # Given a product that took part in 100,000 orders (1,000 reservations an append), then 2 more
    await append(store, "add", (await store.load(PRODUCTS, P)).write(product.add(None, ADD)))
    for batch in range(100):
        await append(
            store,
            f"b{batch}",
            (await store.load(PRODUCTS, P)).write(reservations(str(batch), 1000)),
        )
    await append(store, "tail", (await store.load(PRODUCTS, P)).write(reservations("tail", 2)))
    # When it is loaded
    loaded = await store.load(PRODUCTS, P)
    # Then only the events after the last snapshot are read, and the state is the whole history's
    assert loaded.replayed == 2
    assert loaded.version == 100_003
    assert loaded.state == Product(
        product_id=P,
        sku="S",
        name="N",
        description=None,
        price_cents=1,
        on_hand=200_000,
        reserved=100_002,
    )
    history = await store.read_stream(PRODUCTS.stream_id(P))
    assert fold(PRODUCTS.evolve, *[e.decode() for e in history]) == loaded.state


async def test_a_snapshot_in_an_older_state_schema_is_ignored(store: EventStore):
    write = (await store.load(PRODUCTS, P)).write(product.add(None, ADD))
    outdated = Snapshot(
        stream_id=write.stream_id, version=1, schema_version=0, state={"old": "shape"}
    )
    await append(store, "add", replace(write, snapshot=outdated))
    assert (await store.load(PRODUCTS, P)).state.on_hand == 200_000

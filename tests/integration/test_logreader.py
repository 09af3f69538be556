"""The log reader keeps the newest events: any reader, at any position, reads the log exactly."""

import random

import pytest

from domain.eventstore import EventStore
from domain.log import AppendRequest, NewEvent, StreamWrite
from domain.logreader import LogReader
from orders.database import create_sync_engine

pytestmark = pytest.mark.anyio


async def append(store: EventStore, n: int) -> None:
    event = NewEvent(type="ValueClaimed", schema_version=1, data={"owner_id": str(n)})
    write = StreamWrite(stream_id=f"s-{n}", expected_version=0, events=(event,))
    await store.append(
        AppendRequest(command_id=f"c{n}", fingerprint="f", aggregate_id="a", writes=(write,))
    )


async def test_readers_at_any_positions_read_exactly_the_log(database_url: str, store: EventStore):
    # Given a reader that keeps 20 events, used by readers at different positions
    engine = create_sync_engine(database_url, writes=False)
    reader = LogReader(engine, keep=20)
    readers = dict.fromkeys(range(4), 0)
    rng = random.Random(7)
    written = 0
    # When the log grows while each reads on from where it is, in batches of any size
    for _ in range(200):
        if rng.random() < 0.4:
            written += 1
            await append(store, written)
        name = rng.randrange(4)
        if rng.random() < 0.05:
            readers[name] = rng.randrange(written + 1)  # jumps back, as a rebuild does
        limit = rng.randint(1, 7)
        batch = reader.read_after(readers[name], limit)
        # Then every read is the next stretch of the log, as long as it may be
        end = min(readers[name] + limit, written)
        assert [e.position for e in batch] == list(range(readers[name] + 1, end + 1))
        readers[name] = end
    engine.dispose()

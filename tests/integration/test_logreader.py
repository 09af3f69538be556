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


async def test_a_window_holds_the_events_of_the_types_asked_for(
    database_url: str, store: EventStore
):
    # Given a log of 10 events of two types, alternating
    for n in range(1, 11):
        kind = "ValueClaimed" if n % 2 else "ValueReleased"
        event = NewEvent(type=kind, schema_version=1, data={"owner_id": str(n)})
        write = StreamWrite(stream_id=f"s-{n}", expected_version=0, events=(event,))
        await store.append(
            AppendRequest(command_id=f"c{n}", fingerprint="f", aggregate_id="a", writes=(write,))
        )
    engine = create_sync_engine(database_url, writes=False)
    reader = LogReader(engine)
    # When a window is read for one of the types
    found, through = reader.read_window(2, 5, frozenset({"ValueClaimed"}))
    # Then it holds only that type's events in positions 3-7, and ends at 7
    assert {e.type for e in found} == {"ValueClaimed"}
    assert [e.position for e in found] == [3, 5, 7] and through == 7
    # ... and a window past the head ends at the head
    found, through = reader.read_window(8, 5, frozenset({"ValueClaimed", "ValueReleased"}))
    assert [e.position for e in found] == [9, 10] and through == 10
    assert reader.read_window(10, 5, frozenset({"ValueClaimed"})) == ([], 10)
    engine.dispose()


async def test_the_driver_rows_decode_as_the_event_store_reads_them(
    database_url: str, store: EventStore
):
    # Given events with JSON of every kind and the metadata filled in
    data = {"owner_id": "o", "n": 3, "price": 1.5, "lines": [{"q": 1}], "none": None, "ü": "é"}
    event = NewEvent(type="ValueClaimed", schema_version=2, data=data)
    write = StreamWrite(stream_id="s-1", expected_version=0, events=(event, event))
    await store.append(
        AppendRequest(
            command_id="c1",
            fingerprint="f",
            aggregate_id="a",
            writes=(write,),
            correlation_id="corr",
            causation_id="cause",
            actor="someone",
        )
    )
    # When the log reader decodes the driver's own rows
    engine = create_sync_engine(database_url, writes=False)
    read = LogReader(engine).read_after(0, 10)
    engine.dispose()
    # Then they equal what SQLAlchemy's converters give the event store, times in UTC
    assert read == await store.read_stream("s-1")
    assert read[0].data == data and read[0].recorded_at.utcoffset() is not None

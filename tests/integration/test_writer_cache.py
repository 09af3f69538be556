"""Which folded states the single writer keeps between its batches."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from domain.log import AppendRequest, CommandRecord, NewEvent, StreamWrite
from domain.repository import Folded, Loaded
from domain.streams import EMAIL_CLAIMS
from domain.tables import metadata
from domain.writer import AggregateCache, Job, WriteBatch
from orders.database import create_sync_engine

EMAIL = "ada@example.com"
STREAM = EMAIL_CLAIMS.stream_id(EMAIL)


def in_one_batch(engine: Engine, cache: AggregateCache, head: int, work: Callable) -> object:
    """What `work` returns, done in one committed batch of the writer, which then keeps
    what it knows."""
    with engine.begin() as conn:
        batch = WriteBatch(conn, cache, {}, head, datetime.now(UTC))
        done = work(batch)
        batch.flush()
    batch.keep()
    return done


def claim(_batch: WriteBatch) -> AppendRequest:
    event = NewEvent(type="ValueClaimed", schema_version=1, data={"owner_id": "c-1"})
    begun = StreamWrite(
        stream_id=STREAM, expected_version=0, events=(event,), state_after=Folded("c-1")
    )
    return AppendRequest(command_id="c1", fingerprint="f", aggregate_id=EMAIL, writes=(begun,))


def test_a_stream_is_kept_once_a_command_loads_it_again_not_when_one_begins_it(
    tmp_path: Path,
):
    engine = create_sync_engine(f"sqlite:///{tmp_path / 'log.db'}", writes=True)
    metadata.create_all(engine)
    cache = AggregateCache(10)

    # Given a command that begins a stream: not kept (most such are not loaded again soon)
    record = in_one_batch(engine, cache, 0, lambda batch: batch.run(Job("c1", claim)))
    assert isinstance(record, CommandRecord) and record.version == 1
    assert cache.get(STREAM) is None

    # When a later command loads it: read from the log, then kept as the log has it
    loaded = in_one_batch(engine, cache, 1, lambda batch: batch.load(EMAIL_CLAIMS, EMAIL))
    assert isinstance(loaded, Loaded) and (loaded.version, loaded.state) == (1, "c-1")
    assert cache.get(STREAM) == (1, Folded("c-1"))
    engine.dispose()

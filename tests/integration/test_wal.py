"""SQLite's write-ahead log, copied into the database beside the writer (domain/wal.py)."""

import asyncio
import logging
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from domain import wal
from domain.eventstore import EventStore
from domain.log import AppendRequest, NewEvent, StreamWrite
from tests.integration.conftest import open_store, read_log

pytestmark = pytest.mark.anyio


def new_stream() -> AppendRequest:
    stream_id = f"s-{uuid.uuid4()}"
    new = NewEvent(type="ValueClaimed", schema_version=1, data={"owner_id": stream_id})
    write = StreamWrite(stream_id=stream_id, expected_version=0, events=(new,))
    return AppendRequest(
        command_id=str(uuid.uuid4()), fingerprint="f", aggregate_id=stream_id, writes=(write,)
    )


async def busy_writer(store: EventStore, callers: int, appends: int) -> None:
    async def caller() -> None:
        for _ in range(appends):
            await store.append(new_stream())

    await asyncio.gather(*(caller() for _ in range(callers)))


def copier_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("wal-copier")]


async def test_a_busy_writer_s_log_is_copied_and_started_afresh(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path}/orders.db"
    store = open_store(url)
    await store.create_schema()
    await busy_writer(store, callers=64, appends=200)
    longest = (tmp_path / "orders.db-wal").stat().st_size  # a log's file never shrinks
    await store.close()
    # Never started afresh, the log would hold every page these 12,800 commands wrote
    # (over 80 MB); copied beside the writer and restarted, it held 12-16 MB at most.
    assert longest < 35_000_000
    assert len(read_log(url, limit=20_000)) == 12_800
    assert not copier_threads()


async def test_appends_go_on_when_copying_the_log_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    copies = 0

    def flaky(_engine: object) -> int:
        """Every other copy beside the writer fails; the others find a long log, so the
        writer is asked to finish the copy, and that fails every time."""
        nonlocal copies
        if threading.current_thread().name.startswith("wal-copier"):
            copies += 1
            if copies % 2:
                return 1_000_000
        raise OperationalError("PRAGMA wal_checkpoint(PASSIVE)", {}, Exception("disk I/O error"))

    monkeypatch.setattr(wal.dialect, "checkpoint", flaky)
    monkeypatch.setattr(wal, "PAUSE_S", 0)
    url = f"sqlite+aiosqlite:///{tmp_path}/orders.db"
    store = open_store(url)
    await store.create_schema()
    with caplog.at_level(logging.WARNING, logger="domain.wal"):
        await busy_writer(store, callers=4, appends=25)
    await store.close()
    assert len(read_log(url)) == 100
    failed_on = {r.threadName.split("_")[0] for r in caplog.records if "log failed" in r.message}
    assert failed_on == {"wal-copier", "event-store-writer"}

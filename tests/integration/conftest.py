"""Real databases: every integration test runs on SQLite and on PostgreSQL."""

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from domain.bus import CommandBus
from domain.eventstore import EventStore
from domain.log import RecordedEvent
from domain.logreader import LogReader
from orders.database import create_sync_engine
from tests.conftest import service_unavailable

POSTGRES = os.environ.get("TEST_POSTGRES", "postgres@127.0.0.1:5432")


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/orders.db"
        return
    name = f"orders_test_{uuid.uuid4().hex[:12]}"  # each run its own database
    try:
        admin = await asyncpg.connect(f"postgresql://{POSTGRES}/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError) as e:
        service_unavailable("PostgreSQL", e)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+asyncpg://{POSTGRES}/{name}"
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[EventStore]:
    event_store = open_store(database_url)
    await event_store.create_schema()
    yield event_store
    await event_store.close()


def open_store(database_url: str) -> EventStore:
    """The store as the service builds it: blocking engines, one for the writer's thread."""
    return EventStore(
        create_sync_engine(database_url, writes=True),
        create_sync_engine(database_url, writes=False),
    )


def read_log(database_url: str, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
    """The log in position order, as projections read it."""
    engine = create_sync_engine(database_url, writes=False)
    try:
        return LogReader(engine).read_after(after, limit)
    finally:
        engine.dispose()


@pytest.fixture
def bus(store: EventStore) -> CommandBus:
    return CommandBus(store)

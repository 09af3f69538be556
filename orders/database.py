"""Database engines, tuned per role: one that writes, one that only reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from domain import json_text

_SYNC_DRIVERS = {"sqlite+aiosqlite": "sqlite+pysqlite", "postgresql+asyncpg": "postgresql+psycopg"}

# JSON columns (events' data, view rows' items) go through orjson: the standard library's
# encoder was the largest single cost of writing an order's events and its view rows.
_JSON = {"json_serializer": json_text.text, "json_deserializer": json_text.decoded}
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
)


def create_sync_engine(url: str, *, writes: bool) -> Engine:
    """A thread-safe blocking engine on the database at `url`, for the threads that use
    it: the writer's, the projection workers', and the API's reads (one hop to a thread per
    read, where the asyncio adapter made each step of a read a hop of its own)."""
    sync_url = make_url(url).set(
        drivername=_SYNC_DRIVERS.get(make_url(url).drivername, make_url(url).drivername)
    )
    if sync_url.get_backend_name() != "sqlite":
        return sqlalchemy.create_engine(sync_url, pool_pre_ping=True, **_JSON)
    _ensure_directory(url)
    engine = sqlalchemy.create_engine(
        # uri: the views' engine attaches the log by a file: URI (read-only); a plain path
        # opens as it always did
        sync_url,
        connect_args={"timeout": 30, "check_same_thread": False, "uri": True},
        **_JSON,
    )
    _tune_sqlite(engine, writes=writes)
    return engine


def create_views_engine_reading_log(views_url: str, log_url: str) -> Engine | None:
    """A writing engine on the views' SQLite database whose connections can also read the
    log, attached read-only as `log`; None on other databases, and where the views share the
    log's file (there the views' write lock is the log's too: a rebuild in one go would hold
    up every command while it ran)."""
    views, log = make_url(views_url), make_url(log_url)
    if views.get_backend_name() != "sqlite" or log.get_backend_name() != "sqlite":
        return None
    if not views.database or views.database == ":memory:" or not log.database:
        return None
    log_file = Path(log.database).resolve()
    if log_file == Path(views.database).resolve():
        return None
    engine = create_sync_engine(views_url, writes=True)
    read_only = f"{log_file.as_uri()}?mode=ro"  # BEGIN IMMEDIATE then locks the views only

    @event.listens_for(engine, "connect")
    def _attach(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("ATTACH DATABASE ? AS log", (read_only,))

    return engine


def _tune_sqlite(engine: Engine, *, writes: bool) -> None:
    # A writer takes SQLite's write lock up front (BEGIN IMMEDIATE): a deferred BEGIN that
    # upgrades to a write fails with "database is locked" when another process got there
    # first. Readers BEGIN plainly and never queue behind writers (WAL).
    begin = "BEGIN IMMEDIATE" if writes else "BEGIN"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def _ensure_directory(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)

"""The event store: one append-only table of events, read by stream or by position.

Appends go through a single writer task per process that commits whatever requests
have queued up in one transaction (group commit); each caller is answered only after
its batch is durable. Positions are assigned inside the write transaction, which is
serialized (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so they are
commit-ordered: a reader that has seen position P never later finds a new event below P.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.errors import ConcurrencyError
from domain.log import AppendRequest, CommandRecord, RecordedEvent, Snapshot

Position = BigInteger().with_variant(Integer(), "sqlite")
Payload = JSON().with_variant(postgresql.JSONB(), "postgresql")
APPEND_LOCK_KEY = 0x0E7E57  # the PostgreSQL advisory lock that serializes appends
SCHEMA_LOCK_KEY = 0x5C4E3A  # ... and the one that serializes creating tables

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=False),
    Column("stream_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(100), nullable=False),
    Column("schema_version", SmallInteger, nullable=False),
    Column("data", Payload, nullable=False),
    Column("command_id", String(100)),
    Column("correlation_id", String(100)),
    Column("causation_id", String(100)),
    Column("actor", String(200)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("stream_id", "version", name="events_stream_version"),
)

commands = Table(
    "commands",
    metadata,
    Column("command_id", String(100), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("aggregate_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("position", Position, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("stream_id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("schema_version", SmallInteger, nullable=False),
    Column("state", Payload, nullable=False),
)

_Pending = tuple[AppendRequest, "asyncio.Future[CommandRecord]"]


def create_tables(conn: Connection) -> None:
    """Create the log's tables where missing (whichever process starts first does it)."""
    if conn.dialect.name == "postgresql":  # processes starting together take turns
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
    metadata.create_all(conn)


class EventStore:
    """Appends through one writer engine, reads through another."""

    def __init__(self, writer: AsyncEngine, reader: AsyncEngine, *, max_batch: int = 500) -> None:
        self._writer = writer
        self._reader = reader
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def create_schema(self) -> None:
        async with self._writer.begin() as conn:
            await conn.run_sync(create_tables)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            future.cancel()

    # --- writing ----------------------------------------------------------------------------

    async def append(self, request: AppendRequest) -> CommandRecord:
        """Append atomically, or replay the record of a command id already handled.

        Raises ConcurrencyError when a stream is no longer at its expected version.
        """
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._write_forever(), name="event-store-writer")
        future: asyncio.Future[CommandRecord] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((request, future))
        return await future

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._write_batch(batch)

    async def _write_batch(self, batch: list[_Pending]) -> None:
        outcomes: Sequence[CommandRecord | Exception]
        try:
            async with self._writer.begin() as conn:
                outcomes = await _apply(conn, [request for request, _ in batch])
        except IntegrityError as e:
            # Another process won a race the in-transaction checks could not see; retryable.
            outcomes = [ConcurrencyError(str(e.orig))] * len(batch)
        except Exception as e:
            outcomes = [e] * len(batch)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # the caller went away; its command stands if it was written
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    # --- reading ----------------------------------------------------------------------------

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        query = (
            select(events)
            .where(events.c.stream_id == stream_id, events.c.version > after_version)
            .order_by(events.c.version)
        )
        return await self._read_events(query)

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        query = (
            select(events)
            .where(events.c.position > after_position)
            .order_by(events.c.position)
            .limit(limit)
        )
        return await self._read_events(query)

    async def head_position(self) -> int:
        async with self._reader.connect() as conn:
            head = await conn.scalar(select(func.max(events.c.position)))
        return int(head or 0)

    async def load_snapshot(self, stream_id: str) -> Snapshot | None:
        async with self._reader.connect() as conn:
            row = (
                await conn.execute(select(snapshots).where(snapshots.c.stream_id == stream_id))
            ).first()
        return Snapshot(**row._mapping) if row else None

    async def find_command(self, command_id: str) -> CommandRecord | None:
        async with self._reader.connect() as conn:
            query = select(commands).where(commands.c.command_id == command_id)
            row = (await conn.execute(query)).first()
        return _command_record(row._mapping, replayed=True) if row else None

    async def _read_events(self, query: Any) -> list[RecordedEvent]:
        async with self._reader.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [recorded_event(row._mapping) for row in rows]


async def _apply(
    conn: AsyncConnection, requests: list[AppendRequest]
) -> list[CommandRecord | Exception]:
    """Check and write one batch inside the current transaction."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
    known = await _known_commands(conn, {r.command_id for r in requests})
    versions = await _stream_versions(conn, {w.stream_id for r in requests for w in r.writes})
    head = int(await conn.scalar(select(func.coalesce(func.max(events.c.position), 0))) or 0)
    now = datetime.now(UTC)
    event_rows: list[dict[str, Any]] = []
    command_rows: list[dict[str, Any]] = []
    snapshot_rows: list[dict[str, Any]] = []
    outcomes: list[CommandRecord | Exception] = []
    for request in requests:
        if (record := known.get(request.command_id)) is not None:
            outcomes.append(replace(record, replayed=True))
            continue
        stale = [
            w.stream_id
            for w in request.writes
            if versions.get(w.stream_id, 0) != w.expected_version
        ]
        if stale:
            outcomes.append(ConcurrencyError(f"streams moved on: {', '.join(stale)}"))
            continue
        for write in request.writes:
            for event in write.events:
                head += 1
                versions[write.stream_id] = versions.get(write.stream_id, 0) + 1
                event_rows.append(
                    {
                        "position": head,
                        "stream_id": write.stream_id,
                        "version": versions[write.stream_id],
                        "type": event.type,
                        "schema_version": event.schema_version,
                        "data": event.data,
                        "command_id": request.command_id,
                        "correlation_id": request.correlation_id or request.command_id,
                        "causation_id": request.causation_id,
                        "actor": request.actor,
                        "recorded_at": now,
                    }
                )
            if write.snapshot is not None:
                snapshot_rows.append(vars(write.snapshot))
        record = CommandRecord(
            command_id=request.command_id,
            fingerprint=request.fingerprint,
            aggregate_id=request.aggregate_id,
            version=versions.get(request.writes[0].stream_id, 0),
            position=head,
        )
        known[request.command_id] = record
        command_rows.append(_command_row(record, now))
        outcomes.append(record)
    if event_rows:
        await conn.execute(insert(events), event_rows)
        await conn.execute(insert(commands), command_rows)
    if snapshot_rows:
        await _upsert_snapshots(conn, snapshot_rows)
    return outcomes


async def _known_commands(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, CommandRecord]:
    rows = await conn.execute(select(commands).where(commands.c.command_id.in_(list(ids))))
    return {row.command_id: _command_record(row._mapping, replayed=True) for row in rows}


async def _stream_versions(conn: AsyncConnection, stream_ids: Iterable[str]) -> dict[str, int]:
    query = (
        select(events.c.stream_id, func.max(events.c.version))
        .where(events.c.stream_id.in_(list(stream_ids)))
        .group_by(events.c.stream_id)
    )
    return {stream_id: int(version) for stream_id, version in await conn.execute(query)}


async def _upsert_snapshots(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(snapshots)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[snapshots.c.stream_id],
            set_={c: statement.excluded[c] for c in ("version", "schema_version", "state")},
            where=snapshots.c.version < statement.excluded.version,
        ),
        rows,
    )


def as_utc(moment: datetime) -> datetime:
    """A stored time in UTC: SQLite hands back naive datetimes, PostgreSQL its session's zone."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _command_row(record: CommandRecord, recorded_at: datetime) -> dict[str, Any]:
    fields = ("command_id", "fingerprint", "aggregate_id", "version", "position")
    return {field: getattr(record, field) for field in fields} | {"recorded_at": recorded_at}


def _command_record(row: Any, *, replayed: bool) -> CommandRecord:
    return CommandRecord(
        command_id=row["command_id"],
        fingerprint=row["fingerprint"],
        aggregate_id=row["aggregate_id"],
        version=row["version"],
        position=row["position"],
        replayed=replayed,
    )


def recorded_event(row: Any) -> RecordedEvent:
    """The event a row of the `events` table holds."""
    return RecordedEvent(**{**row, "recorded_at": as_utc(row["recorded_at"])})

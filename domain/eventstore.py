"""The event store: one append-only table of events, written by a single writer.

Every append goes through one writer per process, running on a thread of its own with a
blocking connection: it takes whatever commands have queued up, decides them in arrival
order against its cache of aggregate states, and commits them in one transaction (group
commit), one thread hop per batch. Each caller is answered only after its batch is
durable. Positions are assigned inside the write transaction, which is serialized
(SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so they are commit-ordered: a
reader that has seen position P never later finds a new event below P. On SQLite its
commits leave copying the write-ahead log into the database to another thread (domain/wal.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, select

from domain import dialect
from domain.errors import StoreUnavailable
from domain.log import AppendRequest, CommandRecord, RecordedEvent
from domain.logreader import head_position
from domain.repository import AggregateKind, Loaded, S
from domain.tables import events, recorded_event
from domain.wal import LogCopier
from domain.writer import (
    AggregateCache,
    Decide,
    Job,
    WriteBatch,
    known_commands,
    read_aggregate,
)

T = TypeVar("T")
_Pending = tuple[Job, "asyncio.Future[CommandRecord]"]


class EventStore:
    """Appends through one writer connection, reads through another."""

    def __init__(
        self,
        writer: Engine,
        reader: Engine,
        *,
        max_batch: int = 500,
        cache_size: int = 100_000,
        on_written: Callable[[int, int], None] = lambda _commands, _events: None,
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._max_batch = max_batch
        self._on_written = on_written  # told each committed batch: commands, events appended
        self._cache = AggregateCache(cache_size)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="event-store-writer")
        self._log_copier = LogCopier(writer, reader)
        self._connection: Connection | None = None  # the writer thread's, kept between batches
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def create_schema(self) -> None:
        await self._on_writer(self._create_schema)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            _, future = self._queue.get_nowait()
            future.cancel()
        self._thread.shutdown(wait=True)
        self._disconnect()
        self._log_copier.close()
        self._writer.dispose()
        self._reader.dispose()

    # --- writing ----------------------------------------------------------------------------

    async def decide(self, command_id: str, decide: Decide) -> CommandRecord:
        """Decide a command inside the writer and append what it decides, atomically; or
        replay the record of a command id already handled. Raises the command's refusal."""
        return await self._submit(Job(command_id, decide))

    async def append(self, request: AppendRequest) -> CommandRecord:
        """Append writes decided elsewhere, atomically, or replay a command id's record.

        Raises ConcurrencyError when a stream is no longer at its expected version.
        """
        streams = tuple(write.stream_id for write in request.writes)
        return await self._submit(Job(request.command_id, lambda _batch: request, streams))

    async def _submit(self, job: Job) -> CommandRecord:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._write_forever(), name="event-store-writer")
        future: asyncio.Future[CommandRecord] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((job, future))
        return await future

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            outcomes: Sequence[CommandRecord | Exception]
            try:
                outcomes = await self._on_writer(self._write, [job for job, _ in batch])
            except Exception as e:  # the database failed the transaction: nothing was written
                outcomes = [_as_unavailable(e)] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # the caller went away; its command stands if it was written
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _write(self, jobs: list[Job]) -> list[CommandRecord | Exception]:
        """On the writer's thread: decide and append a batch in one transaction."""
        with self._appending() as conn:
            self._log_copier.take_over(conn)
            head = head_position(conn)
            self._cache.catch_up(conn, head)  # what others appended since our last commit
            batch = WriteBatch(
                conn,
                self._cache,
                known_commands(conn, {job.command_id for job in jobs}),
                head,
                datetime.now(UTC),
            )
            batch.read_ahead(stream for job in jobs for stream in job.streams)
            outcomes = [batch.run(job) for job in jobs]
            batch.flush()
        batch.keep()
        self._log_copier.committed()
        self._on_written(len(jobs), batch.appended)
        return outcomes

    @contextlib.contextmanager
    def _appending(self) -> Iterator[Connection]:
        """A transaction holding the append lock, on the connection the writer keeps between
        batches (taking one from the pool for each batch was a quarter of the writer's work
        for one caller). A connection found dead as the transaction begins (a server
        restarted, an idle connection cut) is replaced once, as the pool's pre-ping did; one
        lost later fails the batch, whose callers are told to send it again."""
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = self._writer.connect()
            conn = self._connection
            try:
                transaction = conn.begin()
                dialect.lock_appends(conn)
                break
            except Exception as error:
                self._disconnect()
                if attempt == 2 or not dialect.the_connection_was_lost(error):
                    raise
        try:
            with transaction:
                yield conn
        except Exception as error:
            if dialect.the_databases_fault(error):
                self._disconnect()  # the next batch starts on a connection of its own
            raise

    def _disconnect(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # a connection already lost may not close
                self._connection.close()
            self._connection = None

    def _create_schema(self) -> None:
        with self._writer.begin() as conn:
            dialect.create_tables(conn)

    async def _on_writer(self, work: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, *args)

    # --- reading ----------------------------------------------------------------------------

    async def load(self, kind: AggregateKind[S], key: str) -> Loaded[S]:
        """An aggregate as the log has it now, from its snapshot and the events after it."""
        return await self._read(read_aggregate, kind, kind.stream_id(key))

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        query = (
            select(events)
            .where(events.c.stream_id == stream_id, events.c.version > after_version)
            .order_by(events.c.version)
        )
        return await self._read(_events, query)

    async def head_position(self) -> int:
        return await self._read(head_position)

    async def find_command(self, command_id: str) -> CommandRecord | None:
        found = await self._read(known_commands, [command_id])
        return found.get(command_id)

    async def _read(self, read: Callable[..., T], *args: object) -> T:
        def run() -> T:
            with self._reader.connect() as conn:
                return read(conn, *args)

        return await asyncio.to_thread(run)


def _events(conn: Connection, query: object) -> list[RecordedEvent]:
    return [recorded_event(row) for row in conn.execute(query)]  # type: ignore[call-overload]


def _as_unavailable(error: Exception) -> Exception:
    """A lost or refused connection, said in the domain's words; any other error as is."""
    if dialect.the_databases_fault(error):
        unavailable = StoreUnavailable(
            "the event store did not answer; send the command again with the same commandId "
            "(it is applied at most once)"
        )
        unavailable.__cause__ = error
        return unavailable
    return error

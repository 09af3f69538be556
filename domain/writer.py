"""The single writer's transaction: commands decided in arrival order, appended together.

Each command is decided against the aggregates as the commands before it in the batch
left them, so commands in one batch never conflict with each other. Aggregates come from
the batch itself, then from the writer's cache of folded states, then from the log. A
cached state may be stale only where another process appended to its stream: as each batch
begins, under the append lock, the cache forgets the streams appended to since its owner's
last commit (`AggregateCache.catch_up`), which costs nothing while no one else writes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select

from domain import dialect
from domain.compiled import Prepared, PreparedIn
from domain.errors import ConcurrencyError, DomainError
from domain.log import AppendRequest, CommandRecord, Snapshot, StreamWrite
from domain.repository import AggregateKind, Folded, Loaded, S, fold
from domain.tables import commands, events, recorded_event, snapshots

Decide = Callable[["WriteBatch"], AppendRequest]


@dataclass(frozen=True)
class Job:
    """One command for the writer: how to decide its writes, given the batch to load from."""

    command_id: str
    decide: Decide
    streams: tuple[str, ...] = ()  # streams it is known to write, read ahead with the batch


class AggregateCache:
    """The latest folded state of recently used streams, least recently used evicted first;
    every entry as of `fresh_at`, a position of the log."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[int, Folded]] = OrderedDict()
        self.fresh_at = 0  # no entry misses an event at or below this position

    def catch_up(self, conn: Connection, head: int) -> None:
        """Under the append lock, the log at `head`: forget the streams appended to since
        `fresh_at` (by another process: the owner's own appends move `fresh_at` on)."""
        if head == self.fresh_at:
            return
        if not self.fresh_at < head <= self.fresh_at + FORGET_AT_MOST:
            self._entries.clear()  # the log is another one, or has moved on by far
        elif self._entries:
            self.evict(streams_appended(conn, self.fresh_at, head))
        self.fresh_at = head

    def get(self, stream_id: str) -> tuple[int, Folded] | None:
        entry = self._entries.get(stream_id)
        if entry is not None:
            self._entries.move_to_end(stream_id)
        return entry

    def put(self, stream_id: str, version: int, state: Folded) -> None:
        self._entries[stream_id] = (version, state)
        self._entries.move_to_end(stream_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def evict(self, stream_ids: Iterable[str]) -> None:
        for stream_id in stream_ids:
            self._entries.pop(stream_id, None)


class WriteBatch:
    """One transaction's work; also the repository the handlers load from."""

    def __init__(
        self,
        conn: Connection,
        cache: AggregateCache,
        known: dict[str, CommandRecord],
        head: int,
        now: datetime,
    ) -> None:
        self._conn = conn
        self._cache = cache
        self._known = dict(known)
        self._head = head
        self._now = now
        self._versions: dict[str, int] = {}  # every stream this batch has seen, as it now is
        self._states: dict[str, Folded] = {}  # ... and its state, where known
        self._unflushed: set[str] = set()
        self._started: set[str] = set()  # streams this batch's first event began
        self._event_rows: list[dict[str, Any]] = []
        self._command_rows: list[dict[str, Any]] = []
        self._snapshot_rows: list[dict[str, Any]] = []
        self.appended = 0  # events this batch appends

    # --- the repository -----------------------------------------------------------------------

    def load(self, kind: AggregateKind[S], key: str) -> Loaded[S]:
        stream_id = kind.stream_id(key)
        if stream_id not in self._states:
            self._fill(kind, stream_id)
        return Loaded(kind, stream_id, self._states[stream_id].state, self._versions[stream_id])

    def _fill(self, kind: AggregateKind[Any], stream_id: str) -> None:
        if stream_id not in self._versions and self._take_cached_version(stream_id):
            return
        if stream_id in self._unflushed:  # written by this batch in a shape we can't fold
            self.flush()
        loaded = read_aggregate(self._conn, kind, stream_id)
        self._versions[stream_id], self._states[stream_id] = loaded.version, Folded(loaded.state)

    # --- deciding and appending ---------------------------------------------------------------

    def read_ahead(self, stream_ids: Iterable[str]) -> None:
        """Learn the versions of streams about to be written, in one query."""
        wanted = [s for s in dict.fromkeys(stream_ids) if s not in self._versions]
        unknown = [s for s in wanted if not self._take_cached_version(s)]
        if unknown:
            found = stream_versions(self._conn, unknown)
            self._versions.update({s: found.get(s, 0) for s in unknown})

    def run(self, job: Job) -> CommandRecord | Exception:
        """Decide and append one command; its refusal (or a bug in it) is its own outcome."""
        if (record := self._known.get(job.command_id)) is not None:
            return replace(record, replayed=True)
        try:
            request = job.decide(self)
            self._check(request.writes)
        except (DomainError, ConcurrencyError) as refusal:
            return refusal
        except Exception as error:  # a bug in one command fails that command only
            return error
        record = self._append(request)
        self._known[job.command_id] = record
        return record

    def flush(self) -> None:
        """Write what the batch has decided so far (its transaction is still open)."""
        if self._event_rows:
            _INSERT_EVENTS.executemany(self._conn, self._event_rows)
            _INSERT_COMMANDS.executemany(self._conn, self._command_rows)
        if self._snapshot_rows:
            dialect.upsert_snapshots(self._conn, self._snapshot_rows)
        self._event_rows, self._command_rows, self._snapshot_rows = [], [], []
        self._unflushed.clear()

    def keep(self) -> None:
        """After the commit: remember every state the batch knows but those of the streams it
        began, forget the others it moved; the cache is as fresh as the log this batch left
        (its own appends are in it).

        A stream is kept once a command loads it again: most that a command begins (an order,
        a claim) are not loaded again soon, and kept they would push out the streams that are
        (products, customers) and give the garbage collector hundreds of thousands of objects
        to walk at each full collection (a quarter of a second and more, under load)."""
        for stream_id, version in self._versions.items():
            if stream_id in self._states and stream_id not in self._started:
                self._cache.put(stream_id, version, self._states[stream_id])
            else:
                self._cache.evict([stream_id])
        self._cache.fresh_at = self._head

    def _take_cached_version(self, stream_id: str) -> bool:
        """Take the stream's version and state from the cache (fresh: `catch_up`)."""
        hit = self._cache.get(stream_id)
        if hit is None:
            return False
        self._versions[stream_id], self._states[stream_id] = hit
        return True

    def _version(self, stream_id: str) -> int:
        if stream_id not in self._versions:
            self.read_ahead([stream_id])
        return self._versions[stream_id]

    def _check(self, writes: Iterable[StreamWrite]) -> None:
        at: dict[str, int] = {}
        stale = []
        for write in writes:
            current = at.get(write.stream_id, self._version(write.stream_id))
            if current != write.expected_version:
                stale.append(write.stream_id)
            at[write.stream_id] = current + len(write.events)
        if stale:
            raise ConcurrencyError(f"streams moved on: {', '.join(stale)}")

    def _append(self, request: AppendRequest) -> CommandRecord:
        for write in request.writes:
            for event in write.events:
                self._head += 1
                self.appended += 1
                if not self._versions[write.stream_id]:
                    self._started.add(write.stream_id)
                self._versions[write.stream_id] += 1
                self._event_rows.append(
                    {
                        "position": self._head,
                        "stream_id": write.stream_id,
                        "version": self._versions[write.stream_id],
                        "type": event.type,
                        "schema_version": event.schema_version,
                        "data": event.data,
                        "command_id": request.command_id,
                        "correlation_id": request.correlation_id or request.command_id,
                        "causation_id": request.causation_id,
                        "actor": request.actor,
                        "recorded_at": self._now,
                    }
                )
            if write.state_after is not None:
                self._states[write.stream_id] = write.state_after
            else:
                self._states.pop(write.stream_id, None)
                self._unflushed.add(write.stream_id)
            if write.snapshot is not None:
                self._snapshot_rows.append(vars(write.snapshot))
        record = CommandRecord(
            command_id=request.command_id,
            fingerprint=request.fingerprint,
            aggregate_id=request.aggregate_id,
            version=self._versions[request.writes[0].stream_id],
            position=self._head,
        )
        self._command_rows.append(command_row(record, self._now))
        return record


# --- statements -------------------------------------------------------------------------------


# The write path's statements, compiled once and run on the driver's cursor
# (domain/compiled.py).
_SNAPSHOT = Prepared(select(snapshots).where(snapshots.c.stream_id == bindparam("stream_id")))
_SNAPSHOT_FIELDS = tuple(column.name for column in snapshots.columns)
_TAIL = Prepared(
    select(events)
    .where(events.c.stream_id == bindparam("stream_id"), events.c.version > bindparam("after"))
    .order_by(events.c.version)
)
_VERSIONS = PreparedIn(
    lambda among: (
        select(events.c.stream_id, func.max(events.c.version))
        .where(among)
        .group_by(events.c.stream_id)
    ),
    events.c.stream_id,
)
_APPENDED = Prepared(
    select(events.c.stream_id)
    .distinct()
    .where(events.c.position > bindparam("after"), events.c.position <= bindparam("through"))
)
FORGET_AT_MOST = 10_000  # positions appended by others past which the cache is cleared
_COMMAND_FIELDS = ("command_id", "fingerprint", "aggregate_id", "version", "position")
_KNOWN = PreparedIn(
    lambda among: select(*(commands.c[name] for name in _COMMAND_FIELDS)).where(among),
    commands.c.command_id,
)
_INSERT_EVENTS = Prepared(insert(events))
_INSERT_COMMANDS = Prepared(insert(commands))


def read_aggregate(conn: Connection, kind: AggregateKind[S], stream_id: str) -> Loaded[S]:
    """An aggregate from its latest usable snapshot and the events after it."""
    snapshot = None
    if kind.snapshots:
        found = _SNAPSHOT.execute(conn, {"stream_id": stream_id})
        snapshot = Snapshot(**dict(zip(_SNAPSHOT_FIELDS, found[0], strict=True))) if found else None
    _, after = kind.thaw(snapshot)
    tail = _TAIL.driver_rows(conn, {"stream_id": stream_id, "after": after})
    return fold(kind, stream_id, snapshot, (recorded_event(row) for row in tail))


def stream_versions(conn: Connection, stream_ids: list[str]) -> dict[str, int]:
    return {stream_id: int(version) for stream_id, version in _VERSIONS.execute(conn, stream_ids)}


def streams_appended(conn: Connection, after: int, through: int) -> list[str]:
    """The streams appended to between two positions of the log."""
    return [row[0] for row in _APPENDED.driver_rows(conn, {"after": after, "through": through})]


def known_commands(conn: Connection, ids: Iterable[str]) -> dict[str, CommandRecord]:
    found = (dict(zip(_COMMAND_FIELDS, row, strict=True)) for row in _KNOWN.execute(conn, ids))
    return {row["command_id"]: command_record(row, replayed=True) for row in found}


def command_row(record: CommandRecord, recorded_at: datetime) -> dict[str, Any]:
    fields = ("command_id", "fingerprint", "aggregate_id", "version", "position")
    return {field: getattr(record, field) for field in fields} | {"recorded_at": recorded_at}


def command_record(row: Any, *, replayed: bool) -> CommandRecord:
    return CommandRecord(
        command_id=row["command_id"],
        fingerprint=row["fingerprint"],
        aggregate_id=row["aggregate_id"],
        version=row["version"],
        position=row["position"],
        replayed=replayed,
    )

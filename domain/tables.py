"""The log's tables: events (the log itself), handled commands, and stream snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql

from domain.columns import Position
from domain.log import RecordedEvent
from domain.utc import as_utc

Payload = JSON().with_variant(postgresql.JSONB(), "postgresql")

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


_EVENT_FIELDS = tuple(column.name for column in events.columns)


def recorded_event(row: Sequence[Any]) -> RecordedEvent:
    """The event a row of the `events` table holds (its columns in the table's order)."""
    fields = dict(zip(_EVENT_FIELDS, row, strict=True))
    fields["recorded_at"] = as_utc(fields["recorded_at"])
    return RecordedEvent(**fields)

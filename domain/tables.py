"""The log's tables: events (the log itself), handled commands, and stream snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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

from domain import json_text
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


def recorded_event(row: Sequence[Any]) -> RecordedEvent:
    """The event a row of the `events` table holds (its columns in the table's order), as
    the driver returns it or as SQLAlchemy converts it. The log's readers take the driver's
    row: JSON text and SQLite's time text decoded here cost a third of what SQLAlchemy's
    general converters do, and a rebuild or a writer's reload decodes every event it reads."""
    (position, stream_id, version, type_, schema_version, data, command_id, correlation_id,
     causation_id, actor, recorded_at) = row  # fmt: skip
    if isinstance(recorded_at, str):  # SQLite's text, as SQLAlchemy writes it
        recorded_at = datetime.fromisoformat(recorded_at)
    return RecordedEvent(
        position=position,
        stream_id=stream_id,
        version=version,
        type=type_,
        schema_version=schema_version,
        data=json_text.decoded(data) if isinstance(data, str | bytes) else data,  # a JSON object
        command_id=command_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
        recorded_at=as_utc(recorded_at),
    )

"""Checkpoints: where each generation of each projection has got to in the log, and its health.

A projection's view tables exist once per generation (`<table>_g<generation>`). One
generation is live and serves queries; a rebuild fills the next beside it and takes over
when it has caught up.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from domain.columns import Position
from domain.utc import as_utc

metadata = MetaData()

checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("generation", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("live", Boolean, nullable=False),
    Column("state", String(20), nullable=False),
    Column("position", Position, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", Text),
    Column("failed_position", Position),
    Column("retry_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)

skipped_events = Table(
    "projection_skipped_events",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("generation", Integer, primary_key=True),
    Column("position", Position, primary_key=True),
    Column("error", Text),
    Column("skipped_at", DateTime(timezone=True), nullable=False),
)


class State(enum.StrEnum):
    RUNNING = "RUNNING"
    FAILED = "FAILED"  # stopped on an event; an operator retries or skips it
    REBUILDING = "REBUILDING"  # a generation being filled beside the live one


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    name: str
    generation: int
    version: int
    live: bool
    state: State
    position: int
    attempts: int
    error: str | None
    failed_position: int | None
    retry_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Checkpoint:
        return cls(**{**row._mapping, "state": State(row.state)})

    def runnable(self, now: datetime) -> bool:
        """Not stopped, and not waiting out a retry back-off."""
        waiting = self.retry_at is not None and as_utc(self.retry_at) > now
        return self.state is not State.FAILED and not waiting

"""A test-only "ledger" projection, and a child process that runs it until it is killed.

The ledger handles every event type and keeps, per projection:
  `<name>_entries`: one row per position it applied, with how many times it applied it;
  `<name>_tally`:   one row counting the events it applied, the sum of their positions and
                    the last one.
So a double apply shows as `applied == 2` (and a tally above the log's length), and a skipped
event as a missing entry.

Run as a child:  python -m tests.integration.projection_child URL READY_FILE DELAY BATCH_SIZE
It prepares an engine over the ledger, touches READY_FILE, then catches up, sleeping DELAY
seconds in the projector per event, so that its batches are slow enough to be killed midway.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Container
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table

from domain.events import EVENT_TYPES, Event
from domain.log import RecordedEvent
from domain.logreader import LogReader
from orders.database import create_sync_engine
from projections.engine import ProjectionEngine
from projections.projection import Change, Projection, Put, RowKey, Rows

TALLY_KEY = "all"


class Poisoned(Exception):
    """What the ledger raises on an event it is told to choke on."""


def entries_table(name: str) -> str:
    return f"{name}_entries"


def tally_table(name: str) -> str:
    return f"{name}_tally"


def ledger(
    name: str = "ledger",
    *,
    poisoned: Container[int] = frozenset(),
    delay: float = 0.0,
    version: int = 1,
) -> Projection:
    """A projection that records each event it applies; it raises on `poisoned` positions
    (a container the test may change while the engine runs)."""
    metadata = MetaData()
    entries = Table(
        entries_table(name),
        metadata,
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("type", String(100), nullable=False),
        Column("applied", Integer, nullable=False),
    )
    tally = Table(
        tally_table(name),
        metadata,
        Column("name", String(20), primary_key=True),
        Column("events", Integer, nullable=False),
        Column("position_sum", Integer, nullable=False),
        Column("last_position", Integer, nullable=False),
    )

    def needs(_event: Event, meta: RecordedEvent) -> list[RowKey]:
        return [(tally.name, TALLY_KEY), (entries.name, meta.position)]

    def project(_event: Event, meta: RecordedEvent, rows: Rows) -> list[Change]:
        if meta.position in poisoned:
            raise Poisoned(f"cannot project event {meta.position}")
        if delay:
            time.sleep(delay)
        entry = rows.get(entries.name, meta.position)
        total = rows.get(tally.name, TALLY_KEY) or {
            "name": TALLY_KEY,
            "events": 0,
            "position_sum": 0,
            "last_position": 0,
        }
        return [
            Put(
                entries.name,
                {
                    "position": meta.position,
                    "type": meta.type,
                    "applied": (entry["applied"] if entry else 0) + 1,
                },
            ),
            Put(
                tally.name,
                {
                    "name": TALLY_KEY,
                    "events": total["events"] + 1,
                    "position_sum": total["position_sum"] + meta.position,
                    "last_position": meta.position,
                },
            ),
        ]

    return Projection(
        name=name,
        version=version,
        view=None,
        tables=(entries, tally),
        handles=frozenset(EVENT_TYPES.values()),
        project=project,
        needs=needs,
    )


def main(url: str, ready_file: str, delay: float, batch_size: int) -> None:
    views = create_sync_engine(url, writes=True)
    engine = ProjectionEngine(
        views,
        create_sync_engine(url, writes=False),
        LogReader(create_sync_engine(url, writes=False)),
        [ledger(delay=delay)],
        batch_size=batch_size,
    )
    engine.prepare()
    Path(ready_file).touch()
    engine.catch_up("ledger")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))

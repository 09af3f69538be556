"""Reading the log in position order, synchronously, for projection workers' threads."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from domain.log import RecordedEvent
from domain.tables import events, recorded_event


class LogReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read_after(self, position: int, limit: int) -> list[RecordedEvent]:
        query = (
            select(events)
            .where(events.c.position > position)
            .order_by(events.c.position)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [recorded_event(row._mapping) for row in conn.execute(query)]

    def head(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.scalar(select(func.max(events.c.position))) or 0)

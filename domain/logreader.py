"""Reading the log in position order, synchronously, for projection workers' threads."""

from __future__ import annotations

import threading
from functools import cache

from sqlalchemy import Connection, Engine, bindparam, false, func, or_, select

from domain.compiled import Prepared
from domain.log import RecordedEvent
from domain.tables import events, recorded_event


class LogReader:
    """Reads the log after a position; the newest events are kept, so that a round that
    reads a stretch of the log again (a projection a little behind the others) finds it
    decoded. A round reads once for all its projections and a lone projection reads its
    own window, so a couple of batches are enough to keep."""

    def __init__(self, engine: Engine, *, keep: int = 1_000) -> None:
        self._engine = engine
        self._keep = keep
        self._recent: list[RecordedEvent] = []  # contiguous positions, oldest first
        self._lock = threading.Lock()

    def read_after(self, position: int, limit: int) -> list[RecordedEvent]:
        with self._lock:
            recent = self._recent
            if recent and recent[0].position - 1 <= position < recent[-1].position:
                start = position + 1 - recent[0].position
                kept = recent[start : start + limit]
                if len(kept) < limit:
                    kept += self._keep_newer(recent[-1].position, limit - len(kept))
                return kept
            if recent and position < recent[0].position:  # a rebuild, far behind: leave it be
                return self._query(position, limit)
            return self._keep_newer(position, limit)

    def read_window(
        self, position: int, limit: int, types: frozenset[str]
    ) -> tuple[list[RecordedEvent], int]:
        """The events of `types` among the `limit` positions after `position`, and the last
        position of that window (the head, if it comes first). Nothing is kept: this is for
        one projection catching up alone, which skips reading and decoding the other events.
        The log has no gaps and commits in position order, so every event up to the head
        read first is there to read."""
        with self._engine.connect() as conn:
            through = min(position + limit, head_position(conn))
            found = _of_types(types).driver_rows(conn, {"after": position, "through": through})
        return [recorded_event(row) for row in found], through

    def close(self) -> None:
        self._engine.dispose()

    def head(self) -> int:
        with self._engine.connect() as conn:
            return head_position(conn)

    def _keep_newer(self, position: int, limit: int) -> list[RecordedEvent]:
        """Read after `position` and keep what was read, after what is kept if it follows on."""
        found = self._query(position, limit)
        if not self._recent or self._recent[-1].position != position:
            self._recent = []
        self._recent += found
        if len(self._recent) > 2 * self._keep:
            del self._recent[: -self._keep]
        return found

    def _query(self, position: int, limit: int) -> list[RecordedEvent]:
        with self._engine.connect() as conn:
            found = _AFTER.driver_rows(conn, {"after": position, "limit": limit})
        return [recorded_event(row) for row in found]


def head_position(conn: Connection) -> int:
    """The last position in the log; 0 while it is empty."""
    ((head,),) = _HEAD.execute(conn, {})
    return int(head)


# Run on the driver's cursor (domain/compiled.py): the writer reads the head for every batch,
# and a rebuild reads the log through _AFTER.
_HEAD = Prepared(select(func.coalesce(func.max(events.c.position), 0)))
_AFTER = Prepared(
    select(events)
    .where(events.c.position > bindparam("after"))
    .order_by(events.c.position)
    .limit(bindparam("limit"))
)


@cache
def _of_types(types: frozenset[str]) -> Prepared:
    """The events of `types` in a window of positions, the types bound in the statement."""
    return Prepared(
        select(events)
        .where(
            events.c.position > bindparam("after"),
            events.c.position <= bindparam("through"),
            or_(false(), *(events.c.type == name for name in sorted(types))),
        )
        .order_by(events.c.position)
    )

"""SQLite's write-ahead log copied into the database beside the writer, not by its commits.

By default every SQLite commit that finds the log over 1,000 pages copies it into the
database (a checkpoint) before it returns: 3-4 us a page, which the writer's callers waited
for (appends at 64 callers went 13-24% faster without it). Here the writer's connections
never checkpoint; a thread of its own copies the log, at most once per PAUSE_S while
commits come. A copy running beside a busy writer never finishes before the next commit,
and SQLite starts the log afresh only when a writer begins with nothing left to copy; so,
once the log is long, the writer copies the little committed since, between two of its
transactions, and its next transaction starts the log afresh.

PostgreSQL's server checkpoints apart from any commit: there this does nothing.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Connection, Engine

from domain import dialect

log = logging.getLogger(__name__)
PAUSE_S = 0.05
RESTART_AT_PAGES = 1000  # SQLite's own default for checkpointing on commit
_HANDED_OFF = "wal copied by LogCopier"  # marks a writer connection, in its pool record


class LogCopier:
    """Copies the log of the database `reader` reads, for the writer writing it."""

    def __init__(self, writer: Engine, reader: Engine) -> None:
        self._writer = writer
        self._reader = reader
        self.enabled = dialect.copies_its_log_on_commit(writer)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="wal-copier")
        self._copying: Future[None] | None = None
        self._restart = False  # the log is long: the writer finishes the copy
        self._closing = threading.Event()

    def take_over(self, conn: Connection) -> None:
        """In a transaction of the writer's: its connection's commits no longer copy."""
        if self.enabled and not conn.info.get(_HANDED_OFF):
            dialect.leave_log_copying_to_others(conn)
            conn.info[_HANDED_OFF] = True

    def committed(self) -> None:
        """On the writer's thread, between two transactions: see that the log gets copied."""
        if not self.enabled:
            return
        if self._restart:
            self._restart = False
            _copy(self._writer)  # only what was committed since the last copy
        if self._copying is None or self._copying.done():
            self._copying = self._thread.submit(self._copy_and_pause)

    def close(self) -> None:
        self._closing.set()
        self._thread.shutdown(wait=True)

    def _copy_and_pause(self) -> None:
        pages = _copy(self._reader)
        if pages is not None and pages >= RESTART_AT_PAGES:
            self._restart = True
        self._closing.wait(PAUSE_S)


def _copy(engine: Engine) -> int | None:
    """A checkpoint: the log's length in pages, or None if it failed (a commit to come asks
    for the next one; until then the log only grows)."""
    try:
        return dialect.checkpoint(engine)
    except Exception:
        log.warning("copying the write-ahead log failed", exc_info=True)
        return None

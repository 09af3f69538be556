"""The log's statements that differ between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.tables import metadata, snapshots

APPEND_LOCK_KEY = 0x0E7E57  # the PostgreSQL advisory lock that serializes appends
SCHEMA_LOCK_KEY = 0x5C4E3A  # ... and the one that serializes creating tables


def the_databases_fault(error: BaseException) -> bool:
    """A lost or refused connection, a lock timeout, a server going away: an error of the
    database, not of the statement or the rows, so trying again later may well succeed."""
    if the_connection_was_lost(error):
        return True
    return isinstance(error, OperationalError | InterfaceError | PoolTimeout | PendingRollbackError)


def the_connection_was_lost(error: BaseException) -> bool:
    """The driver found the connection dead (SQLAlchemy invalidated it)."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def lock(conn: Connection, key: int) -> None:
    """Serialize with other processes until the transaction ends (SQLite: BEGIN IMMEDIATE
    already holds the database's only write lock)."""
    if is_postgresql(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def row_locked(conn: Connection, query: Select[Any], *, skip_locked: bool = False) -> Any:
    """`query`, locking the rows it reads until the transaction ends (SQLite: BEGIN IMMEDIATE
    already holds the database's only write lock), skipping rows locked by others if asked."""
    return query.with_for_update(skip_locked=skip_locked) if is_postgresql(conn) else query


def lock_appends(conn: Connection) -> None:
    lock(conn, APPEND_LOCK_KEY)


def create_tables(conn: Connection) -> None:
    """Create the log's tables where missing (whichever process starts first does it)."""
    lock(conn, SCHEMA_LOCK_KEY)
    metadata.create_all(conn)


def upsert(conn: Connection) -> Any:
    """The dialect's INSERT that takes ON CONFLICT clauses."""
    return postgresql.insert if is_postgresql(conn) else sqlite.insert


def upsert_snapshots(conn: Connection, rows: list[dict[str, Any]]) -> None:
    statement = upsert(conn)(snapshots)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[snapshots.c.stream_id],
            set_={c: statement.excluded[c] for c in ("version", "schema_version", "state")},
            where=snapshots.c.version < statement.excluded.version,
        ),
        rows,
    )


def copies_its_log_on_commit(engine: Engine) -> bool:
    """Whether commits through `engine` copy a write-ahead log into the database now and then
    (SQLite's automatic checkpoints), work a writer can hand to another thread; PostgreSQL's
    server does its own, apart from any commit."""
    return engine.dialect.name == "sqlite"


def leave_log_copying_to_others(conn: Connection) -> None:
    """Commits on this SQLite connection no longer checkpoint (see `checkpoint`)."""
    conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")


def checkpoint(engine: Engine) -> int:
    """Copy what SQLite's write-ahead log holds into the database, waiting for no reader and
    no writer (PASSIVE), on a connection of `engine` outside any transaction; the log's
    length in pages."""
    connection = engine.raw_connection()
    try:
        ((_busy, pages, _copied),) = (
            connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        )
        return int(pages)
    finally:
        connection.close()

"""Times in UTC, whatever the database hands back."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """A stored time in UTC: SQLite hands back naive datetimes, PostgreSQL its session's zone."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)

"""Query arguments, checked before any view is read: each refusal names the argument.

A refusal is a `BadArgument`, the one kind of resolver error whose message clients see
(schema/limits.py masks every other), so each message here is written for a client.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

from projections.queries import BadArgument

MAX_PAGE = 100
MAX_REPORT_DAYS = 366
MAX_SEARCH_TEXT = 200
_UNSEARCHABLE = re.compile(r"[\ud800-\udfff\x00-\x1f\x7f-\x9f]")


def page_size(first: int | None, argument: str = "first", default: int = 20) -> int:
    """The page size asked for; an explicit null means the default."""
    first = default if first is None else first
    if not 1 <= first <= MAX_PAGE:
        raise BadArgument(f"{argument} must be between 1 and {MAX_PAGE}")
    return first


def moment(value: datetime | None, argument: str) -> datetime | None:
    """A point in time, in UTC: one without a UTC offset is ambiguous."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise BadArgument(f"{argument} needs a UTC offset, e.g. 2026-01-31T09:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise BadArgument(f"{argument} lies outside the years 1 to 9999 in UTC") from None


def identifier(value: str, argument: str) -> str:
    """An aggregate id: a UUID, in any case, spelt canonically."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise BadArgument(f"{argument} must be a UUID") from None


def search_text(value: str | None, argument: str = "text") -> str | None:
    if value is not None:
        if len(value) > MAX_SEARCH_TEXT:
            raise BadArgument(f"{argument} must be at most {MAX_SEARCH_TEXT} characters long")
        if _UNSEARCHABLE.search(value):
            raise BadArgument(f"{argument} must not hold control characters or lone surrogates")
    return value


def report_days(first_day: date, last_day: date) -> tuple[date, date]:
    if not 0 <= (last_day - first_day).days < MAX_REPORT_DAYS:
        raise BadArgument(f"`to` must be on or after `from`, at most {MAX_REPORT_DAYS} days on")
    return first_day, last_day

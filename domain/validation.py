"""Field rules for command inputs: each check yields the problems it finds."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

from domain.errors import Problem

INT32_MAX = 2**31 - 1
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def text(field: str, value: str | None, *, min_len: int, max_len: int) -> Iterator[Problem]:
    if value is None:
        return
    if not value.strip():
        yield Problem(field, "must not be blank")
    elif not min_len <= len(value) <= max_len:
        yield Problem(field, f"must be {min_len} to {max_len} characters long")


def email(field: str, value: str) -> Iterator[Problem]:
    if len(value) > 254 or not _EMAIL.match(value):
        yield Problem(field, "must be a well-formed e-mail address")


def identifier(field: str, value: str | None) -> Iterator[Problem]:
    """Aggregate ids are canonical (lower-case, hyphenated) UUIDs."""
    if value is None:
        return
    try:
        ok = str(uuid.UUID(value)) == value
    except ValueError:
        ok = False
    if not ok:
        yield Problem(field, "must be a UUID")


def integer(field: str, value: int | None, *, low: int, high: int = INT32_MAX) -> Iterator[Problem]:
    if value is not None and not low <= value <= high:
        yield Problem(field, f"must be between {low} and {high}")


def canonical_id(value: str) -> str:
    """The canonical spelling of a UUID, or the value unchanged when it is not one."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value

"""Field rules for command inputs: each check yields the problems it finds."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterator

from domain.errors import Problem

INT32_MAX = 2**31 - 1
# What no backend stores or no reader wants: lone surrogates, and control characters (NUL
# among them), with tabs and line breaks allowed only in multi-line fields.
_UNSTORABLE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Letters that render as nothing (Hangul fillers, the blank Braille pattern).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def text(
    field: str, value: str | None, *, min_len: int, max_len: int, multiline: bool = False
) -> Iterator[Problem]:
    if value is None:
        return
    control = _CONTROL_BUT_LINE_BREAKS if multiline else _CONTROL
    if _UNSTORABLE.search(value):
        yield Problem(field, "must be valid Unicode text: it holds a lone surrogate")
    elif control.search(value):
        allowed = " other than tabs and line breaks" if multiline else ""
        yield Problem(field, f"must not contain control characters{allowed}")
    elif _blank(value):
        yield Problem(field, "must not be blank")
    elif not min_len <= len(value) <= max_len:
        yield Problem(field, f"must be {min_len} to {max_len} characters long")


def email(field: str, value: str) -> Iterator[Problem]:
    problems = list(text(field, value, min_len=3, max_len=254))
    if problems:
        yield from problems
        return
    # Imported on first use: its syntax tables cost a tenth of a second, at every CLI start.
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        yield Problem(field, f"must be a well-formed e-mail address: {error}")


def identity(value: str) -> str:
    """The form in which two spellings of an identifying text (an e-mail address, a SKU) are
    the same: trimmed, Unicode NFKC, case folded."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value.strip()).casefold())


def _blank(value: str) -> bool:
    """Nothing but white space and characters that render as nothing (format characters such
    as U+200B, fillers)."""
    return all(c.isspace() or c in _BLANK_LETTERS or unicodedata.category(c) == "Cf" for c in value)


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

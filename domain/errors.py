"""Domain errors: each business refusal carries the error code clients see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Problem:
    """One broken field rule; `field` is a dotted path such as ``items.2.quantity``."""

    field: str
    message: str


class DomainError(Exception):
    """A command refused by the domain; nothing was written."""

    code: ClassVar[str]

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """A referenced customer, product or order does not exist."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    """An expected version did not match, or a unique value is taken."""

    code = "CONFLICT"


class RuleViolated(DomainError):
    """A business rule refused the command."""

    code = "RULE_VIOLATED"


class Unauthorized(DomainError):
    """The caller may not issue this command (on this aggregate)."""

    code = "UNAUTHORIZED"


class InvalidCommand(DomainError):
    """The command breaks one or more field rules."""

    code = "VALIDATION"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


class ConcurrencyError(Exception):
    """A stream moved on between load and append; the handler may reload and retry."""


class StoreUnavailable(Exception):
    """The event store could not be reached, or lost its connection, while a command was
    written: no part of it is written, but whether all of it was is unknown when the
    connection dropped at the commit. Sending it again with the same command id is safe."""

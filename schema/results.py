"""What a mutation answers: a CommandResult, and the one place errors are mapped."""

from __future__ import annotations

import re

import strawberry

from domain.errors import DomainError, InvalidCommand
from domain.log import CommandRecord
from schema.enums import ErrorCode, View
from schema.scalars import Position


@strawberry.type
class CommandError:
    code: ErrorCode
    message: str
    field: str | None = strawberry.field(
        default=None, description='Dotted input path, e.g. "items.2.quantity".'
    )


@strawberry.type
class CommandResult:
    ok: bool
    command_id: strawberry.ID = strawberry.field(description="The idempotency key.")
    aggregate_id: strawberry.ID | None = None
    version: int | None = None
    position: Position | None = strawberry.field(
        default=None,
        description="Consistency token: the global position of the last event written.",
    )
    replayed: bool = strawberry.field(
        default=False, description="True when this commandId had been handled before."
    )
    errors: list[CommandError] = strawberry.field(default_factory=list)
    caught_up: list[View] = strawberry.field(default_factory=list)

    @classmethod
    def accepted(cls, record: CommandRecord, caught_up: list[View]) -> CommandResult:
        return cls(
            ok=True,
            command_id=strawberry.ID(record.command_id),
            aggregate_id=strawberry.ID(record.aggregate_id),
            version=record.version,
            position=Position(record.position),
            replayed=record.replayed,
            caught_up=caught_up,
        )

    @classmethod
    def refused(cls, command_id: str, error: DomainError) -> CommandResult:
        return cls(ok=False, command_id=strawberry.ID(command_id), errors=errors_of(error))


def errors_of(error: DomainError) -> list[CommandError]:
    code = ErrorCode(error.code)
    if isinstance(error, InvalidCommand):
        return [
            CommandError(code=code, message=p.message, field=input_path(p.field))
            for p in error.problems
        ]
    field = input_path(error.field) if error.field else None
    return [CommandError(code=code, message=error.message, field=field)]


def input_path(field: str) -> str:
    """A domain field path (``items.0.product_id``) in input spelling (``items.0.productId``)."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), field)

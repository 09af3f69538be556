"""The command bus: idempotency, dispatch to a handler, and retry on a lost race."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import random
from collections.abc import Callable

from domain.commands import Command
from domain.errors import ConcurrencyError, Conflict, DomainError
from domain.eventstore import EventStore
from domain.handlers import HANDLERS, Handler
from domain.log import AppendRequest, CommandRecord
from domain.repository import Repository


class CommandBus:
    """Handles each command id at most once; a repeat answers with the first result."""

    def __init__(
        self,
        store: EventStore,
        handlers: dict[type[Command], Handler] = HANDLERS,
        *,
        max_attempts: int = 100,  # one lost race per concurrent writer of the same stream, at worst
        on_committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._on_committed = on_committed  # tells the projections the log has grown
        self._repository = Repository(store)
        self._handlers = handlers
        self._max_attempts = max_attempts

    async def handle(self, command: Command) -> CommandRecord:
        fingerprint = fingerprint_of(command)
        handler = self._handlers[type(command)]
        # No look-up of the command id up front: the append checks it in its transaction and
        # answers a repeat with the first result. A lost race is retried from a fresh load, so
        # the refusal a client sees is the real one (out of stock, version moved on).
        for attempt in range(self._max_attempts):
            try:
                changes = await handler(command, self._repository)
                request = AppendRequest(
                    command_id=command.command_id,
                    fingerprint=fingerprint,
                    aggregate_id=changes.aggregate_id,
                    writes=changes.writes,
                )
                record = _same_command(await self._store.append(request), fingerprint)
            except ConcurrencyError:
                await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
            except DomainError:
                # A twin of this command may have landed since we looked: answer with its result.
                if (known := await self._store.find_command(command.command_id)) is not None:
                    return _same_command(known, fingerprint)
                raise
            else:
                if not record.replayed:
                    self._on_committed()
                return record
        raise Conflict("the command kept colliding with concurrent changes; send it again")


def fingerprint_of(command: Command) -> str:
    """A digest of what the command asks for, its id aside."""
    fields = dataclasses.asdict(command)
    fields.pop("command_id")
    body = json.dumps([type(command).__name__, fields], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _same_command(record: CommandRecord, fingerprint: str) -> CommandRecord:
    if record.fingerprint != fingerprint:
        raise Conflict(
            "this commandId was already used for a different command", field="command_id"
        )
    return record

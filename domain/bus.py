"""The command bus: a command's fingerprint, its handler, and the writer that decides it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from domain.commands import Command
from domain.errors import Conflict
from domain.eventstore import EventStore
from domain.handlers import HANDLERS, Handler
from domain.log import AppendRequest, CommandRecord
from domain.plain import plain
from domain.repository import Repository


class CommandBus:
    """Handles each command id at most once; a repeat answers with the first result."""

    def __init__(
        self,
        store: EventStore,
        handlers: dict[type[Command], Handler] = HANDLERS,
        *,
        on_committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._on_committed = on_committed  # tells the projections the log has grown
        self._handlers = handlers

    async def handle(
        self, command: Command, correlation_id: str | None = None, actor: str | None = None
    ) -> CommandRecord:
        """Decide `command` in the store's writer, which sees every command before it, so a
        refusal is the real one (out of stock, version moved on), never a lost race. Its
        events record `correlation_id` (by default its own id), to be followed in logs, and
        `actor`, who issued it."""
        fingerprint = fingerprint_of(command)
        handler = self._handlers[type(command)]

        def decide(repository: Repository) -> AppendRequest:
            changes = handler(command, repository)
            return AppendRequest(
                command_id=command.command_id,
                fingerprint=fingerprint,
                aggregate_id=changes.aggregate_id,
                writes=changes.writes,
                correlation_id=correlation_id,
                actor=actor,
            )

        record = _same_command(await self._store.decide(command.command_id, decide), fingerprint)
        if not record.replayed:
            self._on_committed()
        return record


def fingerprint_of(command: Command) -> str:
    """A digest of what the command asks for, its id aside."""
    fields = plain(command)
    fields.pop("command_id")
    body = json.dumps([type(command).__name__, fields], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _same_command(record: CommandRecord, fingerprint: str) -> CommandRecord:
    if record.fingerprint != fingerprint:
        raise Conflict(
            "this commandId was already used for a different command", field="command_id"
        )
    return record

"""GraphQL over websockets: strawberry's two protocol handlers, refusing malformed frames.

A frame that is no JSON object (a list, a number, null), or an operation whose payload is
no object with a string query, closes the connection with 4400 and a reason, as the
graphql-transport-ws protocol asks for any invalid message, instead of a dropped socket
and a stack trace in the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from weakref import WeakSet

from prometheus_client import Gauge
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from schema.context import Context

INVALID_MESSAGE = 4400
GOING_AWAY = 1001
_OPEN: WeakSet[TransportWSHandler | LegacyWSHandler] = WeakSet()  # this process's connections


async def close_all(reason: str = "the server is shutting down") -> None:
    """Close every open websocket of this process with 1001 (going away), for a shutdown:
    clients reconnect elsewhere, where they subscribe again."""
    for handler in list(_OPEN):
        with suppress(Exception):  # one already gone is no obstacle to the others
            await handler.websocket.close(GOING_AWAY, reason)


def problem_with(message: Any, operation_type: str) -> str | None:
    """What makes `message` no valid message of its protocol, if anything."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    if not isinstance(message.get("type"), str):
        return "a message must have a string type"
    if message["type"] != operation_type:
        return None
    payload = message.get("payload")
    if not isinstance(message.get("id"), str) or not isinstance(payload, dict):
        return f"a {operation_type} message must have a string id and an object payload"
    if not isinstance(payload.get("query"), str):
        return "an operation's query must be a string"
    if not isinstance(payload.get("variables", {}), dict | None):
        return "an operation's variables must be an object"
    if not isinstance(payload.get("operationName", ""), str | None):
        return "an operation's operationName must be a string"
    return None


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws (the current protocol)."""

    async def handle(self) -> None:
        _OPEN.add(self)
        with _counted(self.context.metrics.websockets):
            await super().handle()

    async def run_operation(self, operation: Any) -> None:
        with _counted(self.context.metrics.subscriptions):
            await super().run_operation(operation)

    async def handle_message(self, message: Any) -> None:
        if (problem := problem_with(message, "subscribe")) is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """graphql-ws (the older subscriptions-transport-ws protocol)."""

    async def handle(self) -> None:
        _OPEN.add(self)
        with _counted(self.context.metrics.websockets):
            await super().handle()

    async def handle_async_results(self, *args: Any, **kwargs: Any) -> None:
        with _counted(self.context.metrics.subscriptions):
            await super().handle_async_results(*args, **kwargs)

    async def handle_message(self, message: Any) -> None:
        if (problem := problem_with(message, "start")) is not None:
            await self.websocket.close(code=INVALID_MESSAGE, reason=problem)
            return
        await super().handle_message(message)


@contextmanager
def _counted(gauge: Gauge) -> Iterator[None]:
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()

"""Each request observed at the edge: its correlation id, and its response counted.

A client's `X-Request-ID` header becomes the correlation id (one is made otherwise), is
echoed in the response, and is recorded with each event the request's commands write. The
id (and the command id being handled) sit in context variables that the log formatter
(orders/logs.py) reads, so every line says which request it served. Each HTTP response is
counted by route and status (workers/metrics.py). One middleware does both, so a request
pays for one wrapper of `send`, not two.
"""

from __future__ import annotations

import itertools
import os
import re
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
command_id: ContextVar[str | None] = ContextVar("command_id", default=None)

HEADER = b"x-request-id"
ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/health", "/metrics"})
_USABLE = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,100}")  # what may go into a log line and an event
# Made ids: this process's random prefix and a count, unique across processes, and cheaper
# than a uuid4 per request.
_PREFIX = os.urandom(8).hex()
_COUNT = itertools.count(1)


class Observed:
    """Sets each request's correlation id, echoes it, and counts each HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        chosen = _id_of(scope)
        token = correlation_id.set(chosen)
        metrics = scope.get("state", {}).get("metrics")
        route = scope["path"] if scope["path"] in ROUTES else "other"

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (HEADER, chosen.encode())]
                if metrics is not None:
                    metrics.http_response(route, message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            correlation_id.reset(token)


def _id_of(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == HEADER:
            if _USABLE.fullmatch(value):
                return str(value.decode())
            break
    return f"{_PREFIX}{next(_COUNT):016x}"

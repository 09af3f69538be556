"""What one request may ask of the server: the limits that keep abuse cheap to refuse."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from graphql import GraphQLError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

MAX_TOKENS = 2_000  # GraphiQL's introspection query is about 500
MAX_ALIASES = 30
# The deepest query the contract allows (connection > edges > node > items > field) is 5;
# introspection fields are not counted, so GraphiQL's introspection always passes.
MAX_DEPTH = 8
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
MAX_BODY_BYTES = 256 * 1024


def is_clients_mistake(error: GraphQLError) -> bool:
    """Errors the client caused and may read: syntax, validation, bad arguments, STALE_VIEW."""
    cause = error.original_error
    return cause is None or isinstance(cause, GraphQLError | ValueError)


EXTENSIONS: list[Callable[[], SchemaExtension]] = [
    partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
    partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
    # Anything else (a database error, a bug) reaches the client as "Unexpected error."
    partial(MaskErrors, should_mask_error=lambda error: not is_clients_mistake(error)),
]


class BodySizeLimit:
    """Refuses (413) a request body over `limit` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f'{{"errors":[{{"message":"the request body is over {limit} bytes"}}]}}'.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})

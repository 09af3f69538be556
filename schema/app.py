"""The ASGI app: GraphQL over HTTP and websockets at /graphql, and a health check."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.consistency import ViewPositionsExtension
from schema.context import Context
from schema.limits import (
    EXTENSIONS,
    MAX_SUBSCRIPTIONS_PER_CONNECTION,
    BodySizeLimit,
    is_clients_mistake,
)
from schema.mutations import Mutation
from schema.queries import Query
from schema.scalars import SCALARS
from schema.subscriptions import Subscription

log = logging.getLogger(__name__)


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what went wrong on our side; a client's own mistakes are no news."""
        for error in errors:
            if not is_clients_mistake(error):
                log.error("unexpected error in %s", error.path, exc_info=error.original_error)


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(scalar_map=SCALARS),
    extensions=[*EXTENSIONS, ViewPositionsExtension],
)

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[dict[str, Any]]]


class GraphQLApp(GraphQL[Context, None]):
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        new_context: Callable[[], Context] = request.state.new_context
        return new_context()


async def health(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def build_app(lifespan: Lifespan) -> Starlette:
    """The whole app; `lifespan` yields the state, with `new_context` for each request."""
    graphql = GraphQLApp(schema, max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health),
        ],
        lifespan=lifespan,
        middleware=[Middleware(BodySizeLimit)],
    )

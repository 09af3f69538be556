"""The ASGI app: GraphQL over HTTP and websockets at /graphql, and a health check."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema.config import StrawberryConfig

from schema.consistency import ViewPositionsExtension
from schema.context import Context
from schema.mutations import Mutation
from schema.queries import Query
from schema.scalars import SCALARS
from schema.subscriptions import Subscription

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(scalar_map=SCALARS),
    extensions=[ViewPositionsExtension],
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
    graphql = GraphQLApp(schema)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health),
        ],
        lifespan=lifespan,
    )

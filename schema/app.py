"""The ASGI app: GraphQL over HTTP and websockets at /graphql, and a health check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from graphql import OperationType as GraphQLOperationType
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import MaskErrors
from strawberry.http import GraphQLRequestData
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import (
    DEFAULT_ALLOWED_OPERATION_TYPES,
    StrawberryGraphQLCoreExecutionContext,
)
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from domain import json_text
from schema.auth import Authenticator, Unauthenticated
from schema.consistency import view_positions
from schema.context import Context
from schema.direct_arguments import serve_with_direct_arguments
from schema.graphiql import ASSETS_PATH, assets_app, page_html
from schema.limits import (
    MAX_SUBSCRIPTIONS_PER_CONNECTION,
    BodySizeLimit,
    KnownDocuments,
    is_clients_mistake,
)
from schema.mutations import Mutation
from schema.observed import Observed
from schema.queries import Query
from schema.response_cache import ResponseCache
from schema.scalars import SCALARS
from schema.subscriptions import Subscription
from schema.websockets import LegacyWSHandler, TransportWSHandler
from workers.health import Readiness, readiness_body

log = logging.getLogger(__name__)
NOT_A_REQUEST = (
    "not a GraphQL request: a JSON object in UTF-8 (variables too), not nested too deep, "
    "is expected"
)


class FreedByReferenceCounts(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution context holds helpers bound to itself: a reference cycle,
    so it and everything it reached (the request's fields, variables, context: about a
    hundred objects a createOrder) were freed only by the garbage collector, whose pauses
    made createOrder's p99. Dropped once the response is built, they go with the request."""

    def build_response(self, data: dict[str, Any] | None) -> Any:
        response = super().build_response(data)
        if self.operation.operation != GraphQLOperationType.SUBSCRIPTION:  # built per event
            del self.async_helpers
        return response


class Schema(strawberry.Schema):
    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Queries and mutations only: subscriptions are served over websockets."""
        allowed = set(allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES) - {
            OperationType.SUBSCRIPTION
        }
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed,
            operation_extensions,
        )

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Every operation over a websocket gets the connection's context with a log of its
        own for what it reads, so its viewPositions are its own, not the connection's."""
        if isinstance(context_value, Context):
            context_value = context_value.for_one_operation()
        return await super().stream(query, variable_values, context_value, *args, **kwargs)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what went wrong on our side; a client's own mistakes are no news."""
        for error in errors:
            if not is_clients_mistake(error):
                log.error("unexpected error in %s", error.path, exc_info=error.original_error)


class RequestHooks(KnownDocuments, MaskErrors):
    """The schema's one extension. Strawberry runs each extension's hooks around every
    request: four extensions cost createOrder over HTTP 9% of its throughput, measured. So
    this one parses and validates a document once (KnownDocuments), answers "Unexpected
    error." for anything not a client's mistake (MaskErrors), counts each operation by type
    and outcome, and adds `extensions.viewPositions`."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_clients_mistake(error))

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()  # errors masked: then counted
        context = self.execution_context
        if isinstance(context.context, Context):
            kind = context.operation_type.value.lower() if context.operation_type else "unknown"
            result = context.result
            failed = bool(result is None or getattr(result, "errors", None))
            context.context.metrics.operations.labels(kind, "error" if failed else "ok").inc()

    def get_results(self) -> dict[str, Any]:
        return view_positions(self.execution_context.context)

    def _process_result(self, result: object) -> None:
        """Only a result with errors has any to mask: MaskErrors first asks every result
        whether it fits a runtime-checkable Protocol, 2% of createOrder's time over HTTP."""
        if getattr(result, "errors", None):
            super()._process_result(result)


schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(scalar_map=SCALARS),
    extensions=[RequestHooks],
    execution_context_class=FreedByReferenceCounts,
)
serve_with_direct_arguments(schema, "Mutation")

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[dict[str, Any]]]


class GraphQLApp(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A refusal is a JSON GraphQL error, whatever refused it; a fresh answer to a
        request KeptAnswers may serve again is kept."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        cache: ResponseCache = scope["state"]["response_cache"]
        authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        try:
            address = scope["client"][0] if scope.get("client") else None
            context: Context = scope["state"]["new_context"](authorization, address)
        except Unauthenticated as error:
            body = {"errors": [{"message": str(error), "extensions": {"code": "UNAUTHORIZED"}}]}
            headers = {"www-authenticate": "Bearer"}
            await JSONResponse(body, status_code=401, headers=headers)(scope, receive, send)
            return
        epoch = cache.epoch()
        try:
            response = await self.run(Request(scope, receive), context=context)
        except HTTPException as e:
            response = JSONResponse({"errors": [{"message": e.reason}]}, status_code=e.status_code)
        key = scope.get(CACHE_KEY)
        if key is not None and response.status_code == 200 and hasattr(response, "body"):
            cache.keep(key, bytes(response.body), context.reads, epoch)
        await response(scope, receive, send)

    def encode_json(self, data: object) -> str:
        """Answers and websocket messages (text frames, so a str) through orjson."""
        return json_text.text(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Strawberry's, with JSON that is no request at all refused as the client's mistake:
        a scalar or null for a body, nesting deeper than Python decodes, bytes that are not
        UTF-8, integers too long to parse (a 500 otherwise)."""
        try:
            return await super().parse_http_body(request)
        except (AttributeError, ValueError, RecursionError) as error:
            raise HTTPException(400, NOT_A_REQUEST) from error

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        """A websocket's context starts anonymous: its token comes with connection_init."""
        new_context: Callable[..., Context] = request.state.new_context
        return new_context(None, request.client.host if request.client else None)

    async def on_ws_connect(self, context: Context) -> None:
        """The caller of a websocket, from `{"authorization": "Bearer ..."}` in its
        connection_init payload; a bad token closes it with 4403."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("authorization")
        try:
            context.principal = context.authenticator.principal(
                authorization if isinstance(authorization, str) else None
            )
        except Unauthenticated as error:
            raise ConnectionRejectionError({"message": str(error)}) from None

    async def render_graphql_ide(self, request: Request) -> Response:
        # strawberry's own page loads GraphiQL from a CDN; this one loads it from ASSETS_PATH.
        return HTMLResponse(page_html())


class JSONBytes(Response):
    media_type = "application/json"


CACHE_KEY = "orders.cache_key"  # where KeptAnswers leaves a request's key, in its scope


class KeptAnswers:
    """Answers a POSTed query that was answered before from the response cache, ahead of
    routing and Starlette's middleware: a kept answer costs a lookup and a send. Anything
    else goes on with the body replayed, and its key in the scope for GraphQLApp to keep
    the answer under."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        body = await _body(receive)
        headers = dict(scope["headers"])
        key = _cache_key(headers, body)
        state = scope["state"]
        if (
            key is not None
            and (answer := state["response_cache"].get(key)) is not None
            and _still_valid(state["authenticator"], headers.get(b"authorization"))
        ):
            state["metrics"].cache_hits.inc()
            await JSONBytes(state["response_cache"].render(answer))(scope, receive, send)
            return
        await self.app({**scope, CACHE_KEY: key}, _replay(body), send)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _cache_key(headers: dict[bytes, bytes], body: bytes) -> bytes | None:
    """What makes two requests the same: the JSON body, and who asks (where auth is on)."""
    if not headers.get(b"content-type", b"").startswith(b"application/json"):
        return None
    return headers.get(b"authorization", b"") + b"\0" + body


def _still_valid(authenticator: Authenticator, authorization: bytes | None) -> bool:
    """A kept answer goes only to a caller whose token still holds: one that has expired
    since is answered by GraphQLApp (a 401), not from the cache."""
    try:
        authenticator.principal(authorization.decode("latin-1") if authorization else None)
    except Unauthenticated:
        return False
    return True


async def health(_request: Request) -> Response:
    """The process is up: no I/O (/healthz, and /health as before)."""
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> Response:
    """Every part the process needs answers (/readyz); 503 naming those that do not."""
    readiness: Readiness = request.state.readiness
    status, body = readiness_body(await asyncio.to_thread(readiness.failures))
    return Response(body, status_code=status, media_type="application/json")


async def metrics(request: Request) -> Response:
    """This process's metrics, in Prometheus's text format."""
    registry = request.state.metrics.registry
    body = await asyncio.to_thread(generate_latest, registry)  # projection gauges read the db
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def build_app(lifespan: Lifespan) -> ASGIApp:
    """The whole app; `lifespan` yields the state, with `new_context` for each request.

    Outermost, each request gets its correlation id and its response is counted; then the
    body is bounded; then a query answered before is answered again at once; the rest is
    routed by Starlette.
    """
    graphql = GraphQLApp(schema, max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION)
    routed = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health),
            Route("/healthz", health),
            Route("/readyz", ready),
            Route("/metrics", metrics),
            Mount(ASSETS_PATH, app=assets_app(), name="graphiql-assets"),
        ],
        lifespan=lifespan,
    )
    return Observed(BodySizeLimit(KeptAnswers(routed)))

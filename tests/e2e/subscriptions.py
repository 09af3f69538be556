"""Subscriptions over websockets, through the real `gql` client: the subprotocols, the
subscription documents, sessions, and reading their messages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from gql import Client
from gql import GraphQLRequest as Request
from gql.client import AsyncClientSession
from gql.transport.websockets import WebsocketsTransport

from tests.e2e.processes import Server
from tests.e2e.reads import ORDER_FIELDS

# The two websocket subprotocols the server speaks: the current one and the legacy (Apollo).
GRAPHQL_TRANSPORT_WS = WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL  # "graphql-transport-ws"
GRAPHQL_WS = WebsocketsTransport.APOLLO_SUBPROTOCOL  # "graphql-ws"
SUBPROTOCOLS = (GRAPHQL_TRANSPORT_WS, GRAPHQL_WS)

ALL_VIEWS = (
    "ORDER_DETAILS",
    "CUSTOMER_ORDERS",
    "ORDER_SEARCH",
    "PRODUCT_CATALOG",
    "CUSTOMER_SUMMARY",
    "SALES_REPORT",
)

VIEWS_CAUGHT_UP = """
subscription($position: Position!, $views: [View!]!, $timeoutMs: Int) {
  viewsCaughtUp(position: $position, views: $views, timeoutMs: $timeoutMs) {
    position views timedOut
  }
}
"""
ORDER_CHANGED = f"subscription($id: ID!) {{ orderChanged(id: $id) {{ {ORDER_FIELDS} }} }}"
PROJECTION_PROGRESS = (
    "subscription { projectionProgress { name view position headPosition lag state error } }"
)


def ws_url(server: Server) -> str:
    return server.base_url.replace("http://", "ws://", 1) + "/graphql"


def ws_client(server: Server, subprotocol: str) -> Client:
    """A gql client over one websocket that offers the server exactly one subprotocol."""
    transport = WebsocketsTransport(
        url=ws_url(server),
        subprotocols=[subprotocol],
        connect_timeout=10,
        ack_timeout=10,
        close_timeout=5,
    )
    return Client(transport=transport)


@contextlib.asynccontextmanager
async def ws_session(server: Server, subprotocol: str) -> AsyncIterator[AsyncClientSession]:
    """A connected session (connection_init acknowledged) on its own websocket."""
    client = ws_client(server, subprotocol)
    async with client as session:
        transport = client.transport
        assert isinstance(transport, WebsocketsTransport)
        assert transport.subprotocol == subprotocol, "the server picked another subprotocol"
        yield session


def request(document: str, **variables: Any) -> Request:
    return Request(document, variable_values=variables or None)


class Subscription:
    """A subscription read in the background, so that waiting for a message with a timeout
    never cancels (and so ends) the subscription itself."""

    _END = object()

    def __init__(self, session: AsyncClientSession, document: str, **variables: Any) -> None:
        self._messages: asyncio.Queue[Any] = asyncio.Queue()
        self._reading = asyncio.ensure_future(self._read(session, request(document, **variables)))

    async def _read(self, session: AsyncClientSession, document: Request) -> None:
        try:
            async for message in session.subscribe(document):
                self._messages.put_nowait(message)
        except Exception as error:
            self._messages.put_nowait(error)
        finally:
            self._messages.put_nowait(self._END)

    async def next(self, timeout_s: float) -> dict[str, Any]:
        """The next message; fails the test if none comes within `timeout_s` or it ended."""
        try:
            message = await asyncio.wait_for(self._messages.get(), timeout_s)
        except TimeoutError:
            raise AssertionError(f"no subscription message within {timeout_s} s") from None
        if message is self._END:
            raise AssertionError("the subscription ended")
        if isinstance(message, Exception):
            raise message
        result: dict[str, Any] = message
        return result

    async def nothing_within(self, seconds: float) -> None:
        """Fails the test if a message (or the end) comes within `seconds`."""
        try:
            extra = await asyncio.wait_for(self._messages.get(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"an unexpected message: {extra!r}")

    async def close(self) -> None:
        self._reading.cancel()
        await asyncio.gather(self._reading, return_exceptions=True)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


async def all_messages(
    session: AsyncClientSession, document: str, timeout_s: float = 10.0, **variables: Any
) -> list[dict[str, Any]]:
    """Every message of a subscription that must complete by itself within `timeout_s`."""

    async def collect() -> list[dict[str, Any]]:
        return [message async for message in session.subscribe(request(document, **variables))]

    try:
        return await asyncio.wait_for(collect(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"the subscription did not complete within {timeout_s} s") from None

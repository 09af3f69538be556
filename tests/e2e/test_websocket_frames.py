"""Websocket frames as a careless client sends them, and what one operation reports of
another on the same connection: spoken in raw frames, below any client library."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.e2e.commands import (
    CREATE_ORDER,
    accepted,
    add_product,
    lines,
    new_id,
    register_customer,
    with_wait_for,
)
from tests.e2e.graphql_http import gql
from tests.e2e.processes import Server, log_problems
from tests.e2e.subscriptions import GRAPHQL_TRANSPORT_WS, GRAPHQL_WS

pytestmark = pytest.mark.anyio

OPERATION = {GRAPHQL_TRANSPORT_WS: "subscribe", GRAPHQL_WS: "start"}


@asynccontextmanager
async def connected(server: Server, subprotocol: str) -> AsyncIterator[ClientConnection]:
    url = server.base_url.replace("http", "ws", 1) + "/graphql"
    async with websockets.connect(url, subprotocols=[subprotocol]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        yield ws


async def closing_code(ws: ClientConnection) -> tuple[int | None, str | None]:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except websockets.ConnectionClosed as closed:
        return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, None)


BAD_FRAMES = {
    "a list": lambda _op: [],
    "a number": lambda _op: 1,
    "null": lambda _op: None,
    "a string": lambda _op: "subscribe",
    "no type": lambda _op: {"id": "1"},
    "a list payload": lambda op: {"type": op, "id": "1", "payload": []},
    "no id": lambda op: {"type": op, "payload": {"query": "{ __typename }"}},
    "a number for a query": lambda op: {"type": op, "id": "1", "payload": {"query": 5}},
    "a list for variables": lambda op: {
        "type": op,
        "id": "1",
        "payload": {"query": "{ __typename }", "variables": [1]},
    },
}


@pytest.mark.parametrize("subprotocol", [GRAPHQL_TRANSPORT_WS, GRAPHQL_WS])
@pytest.mark.parametrize("frame", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
async def test_a_frame_that_is_no_valid_message_closes_with_4400_and_no_stack_trace(
    server: Server, subprotocol: str, frame: Any
):
    problems_before = len(log_problems(server))
    async with connected(server, subprotocol) as ws:
        await ws.send(json.dumps(frame(OPERATION[subprotocol])))
        code, reason = await closing_code(ws)
    assert code == 4400
    assert reason
    assert log_problems(server)[problems_before:] == []


async def test_each_operation_reports_only_the_views_it_read(server: Server):
    # (Queries over a websocket are graphql-transport-ws's; graphql-ws runs subscriptions.)
    async def run(ws: ClientConnection, operation_id: str, query: str) -> dict[str, Any]:
        payload = {"query": query, "variables": {"id": new_id()}}
        await ws.send(json.dumps({"type": "subscribe", "id": operation_id, "payload": payload}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message["type"] == "next" and message["id"] == operation_id:
                extensions: dict[str, Any] = message["payload"]["extensions"]
                return extensions

    async with connected(server, GRAPHQL_TRANSPORT_WS) as ws:
        first = await run(ws, "1", "query($id: ID!) { order(id: $id) { id } }")
        second = await run(ws, "2", "query($id: ID!) { product(id: $id) { id } }")
        third = await run(ws, "3", "{ __typename }")
    assert list(first["viewPositions"]) == ["ORDER_DETAILS"]
    assert list(second["viewPositions"]) == ["PRODUCT_CATALOG"]
    assert third["viewPositions"] == {}


async def test_order_changed_messages_carry_the_position_their_row_was_read_at(
    server: Server, client: httpx.Client
):
    customer = accepted(register_customer(client))["aggregateId"]
    product = accepted(add_product(client))["aggregateId"]
    order_id = new_id()
    written = gql(
        client,
        with_wait_for(CREATE_ORDER),
        input={
            "orderId": order_id,
            "customerId": customer,
            "items": lines((product, 1)),
            "shippingAddress": "1 Frame St",
        },
        waitFor=["ORDER_DETAILS"],
    )["createOrder"]
    query = "subscription($id: ID!) { orderChanged(id: $id) { id version } }"
    async with connected(server, GRAPHQL_TRANSPORT_WS) as ws:
        payload = {"query": query, "variables": {"id": order_id}}
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "next", message
    assert message["payload"]["data"]["orderChanged"] == {"id": order_id, "version": 1}
    positions = message["payload"]["extensions"]["viewPositions"]
    assert list(positions) == ["ORDER_DETAILS"]
    assert int(positions["ORDER_DETAILS"]) >= int(written["position"])

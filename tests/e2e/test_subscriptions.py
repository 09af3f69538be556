"""viewsCaughtUp over real websockets (both subprotocols), fan-out, disconnects, and
read-your-writes over HTTP (waitFor, atLeast, STALE_VIEW), against the real server."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql.client import AsyncClientSession
from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.e2e.commands import (
    CREATE_ORDER,
    REGISTER_CUSTOMER,
    accepted,
    add_product,
    create_order,
    lines,
    new_id,
    position,
    register_customer,
    with_wait_for,
)
from tests.e2e.graphql_http import agql, gql, post_graphql
from tests.e2e.processes import Server, environment, free_port, log_problems, start, stop
from tests.e2e.subscriptions import (
    ALL_VIEWS,
    SUBPROTOCOLS,
    VIEWS_CAUGHT_UP,
    all_messages,
    request,
    ws_client,
    ws_session,
)

pytestmark = pytest.mark.anyio

FAR_AWAY = 2**62  # a position no test will ever write
SOME_VIEWS = ["ORDER_DETAILS", "CUSTOMER_SUMMARY", "SALES_REPORT"]
CREATE_ORDER_WAITING = with_wait_for(CREATE_ORDER)
REGISTER_CUSTOMER_WAITING = with_wait_for(REGISTER_CUSTOMER)


@pytest.fixture(scope="module")
def shop(client: httpx.Client) -> dict[str, str]:
    """A customer and a well-stocked product to place orders with."""
    customer = accepted(register_customer(client))["aggregateId"]
    product = accepted(add_product(client, initialStock=1_000_000))["aggregateId"]
    return {"customer": customer, "product": product}


@pytest.fixture(params=SUBPROTOCOLS)
def subprotocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def head(client: httpx.Client) -> int:
    """The log's last position, as the server reports it."""
    found = gql(client, "{ projections { headPosition } }")["projections"]
    return max(int(p["headPosition"]) for p in found)


def order_input(shop: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "customerId": shop["customer"],
        "items": lines((shop["product"], 1)),
        "shippingAddress": "1 Subscription Street",
    } | fields


# --- 1. viewsCaughtUp: one message, then the stream completes ------------------------------


async def test_caught_up_views_answer_once_and_complete(
    server: Server, client: httpx.Client, shop: dict[str, str], subprotocol: str
) -> None:
    written = position(accepted(create_order(client, shop["customer"], (shop["product"], 1))))
    async with ws_session(server, subprotocol) as session:
        messages = await all_messages(
            session, VIEWS_CAUGHT_UP, position=str(written), views=SOME_VIEWS
        )
    assert len(messages) == 1, messages
    caught_up = messages[0]["viewsCaughtUp"]
    assert caught_up["position"] == str(written)
    assert sorted(caught_up["views"]) == sorted(SOME_VIEWS), caught_up
    assert caught_up["timedOut"] is False


async def test_a_position_never_reached_times_out_with_one_message(
    server: Server, subprotocol: str
) -> None:
    async with ws_session(server, subprotocol) as session:
        started = time.monotonic()
        messages = await all_messages(
            session, VIEWS_CAUGHT_UP, position=str(FAR_AWAY), views=SOME_VIEWS, timeoutMs=300
        )
        elapsed = time.monotonic() - started
    assert messages == [
        {"viewsCaughtUp": {"position": str(FAR_AWAY), "views": [], "timedOut": True}}
    ]
    assert 0.28 <= elapsed < 2.0, f"timed out after {elapsed:.3f} s, not about 0.3 s"


async def test_a_subscriber_after_the_write_is_told_at_once(
    server: Server, client: httpx.Client, shop: dict[str, str], subprotocol: str
) -> None:
    result = gql(client, CREATE_ORDER_WAITING, input=order_input(shop), waitFor=list(ALL_VIEWS))
    written = accepted_waiting(result["createOrder"])
    async with ws_session(server, subprotocol) as session:
        for timeout_ms in (None, 0):  # timeoutMs 0: no waiting at all, and no need to
            started = time.monotonic()
            variables = {"timeoutMs": timeout_ms} if timeout_ms is not None else {}
            messages = await all_messages(
                session,
                VIEWS_CAUGHT_UP,
                position=written,  # an integer is a Position too
                views=list(ALL_VIEWS),
                **variables,
            )
            elapsed = time.monotonic() - started
            assert len(messages) == 1, messages
            caught_up = messages[0]["viewsCaughtUp"]
            assert caught_up["position"] == str(written)
            assert sorted(caught_up["views"]) == sorted(ALL_VIEWS)
            assert caught_up["timedOut"] is False
            assert elapsed < 1.0, f"took {elapsed:.3f} s although the views were there"


async def test_a_waiting_subscriber_is_told_when_the_write_lands(
    server: Server, client: httpx.Client, shop: dict[str, str], subprotocol: str
) -> None:
    target = head(client) + 1
    async with ws_session(server, subprotocol) as session:
        waiting = asyncio.ensure_future(
            all_messages(
                session,
                VIEWS_CAUGHT_UP,
                15.0,
                position=str(target),
                views=list(ALL_VIEWS),
                timeoutMs=20_000,
            )
        )
        await asyncio.sleep(0.5)
        assert not waiting.done(), waiting.result()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            data = await agql(http, CREATE_ORDER, input=order_input(shop))
        assert position(accepted(data["createOrder"])) >= target
        messages = await waiting
    assert messages == [
        {
            "viewsCaughtUp": {
                "position": str(target),
                "views": list(ALL_VIEWS),
                "timedOut": False,
            }
        }
    ]


async def test_one_connection_runs_more_subscriptions_in_turn_than_its_limit(
    server: Server, subprotocol: str
) -> None:
    """The server allows 20 subscriptions at a time per connection; finished ones free
    their place."""
    async with ws_session(server, subprotocol) as session:
        for _ in range(30):
            messages = await all_messages(
                session, VIEWS_CAUGHT_UP, 5.0, position="0", views=["ORDER_DETAILS"]
            )
            assert messages == [
                {"viewsCaughtUp": {"position": "0", "views": ["ORDER_DETAILS"], "timedOut": False}}
            ]


async def test_a_bad_argument_is_an_error_message_not_a_hang(
    server: Server, subprotocol: str
) -> None:
    async with ws_session(server, subprotocol) as session:
        with pytest.raises(TransportQueryError) as refused:
            await all_messages(
                session, VIEWS_CAUGHT_UP, 5.0, position="1", views=["ORDER_DETAILS"], timeoutMs=-1
            )
        assert "timeoutMs" in str(refused.value)
        assert "Traceback" not in str(refused.value)
        # and the connection is still good for the next subscription
        messages = await all_messages(
            session, VIEWS_CAUGHT_UP, 5.0, position="0", views=["ORDER_DETAILS"]
        )
        assert messages[0]["viewsCaughtUp"]["timedOut"] is False


# --- 2. fan-out: 200 subscribers waiting on one position -----------------------------------

SUBSCRIBERS = 200
PER_CONNECTION = 20  # the server's limit of subscriptions at a time on one connection
FAN_OUT_DEADLINE_S = 15.0


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["connection-each", "20-per-connection"])
async def test_two_hundred_waiting_subscribers_are_each_told_once(
    server: Server, client: httpx.Client, shop: dict[str, str], subprotocol: str, layout: str
) -> None:
    per_connection = 1 if layout == "connection-each" else PER_CONNECTION
    target = head(client) + 1
    views = list(ALL_VIEWS)
    arrivals: list[list[tuple[float, dict[str, Any]]]] = [[] for _ in range(SUBSCRIBERS)]

    async def subscriber(session: AsyncClientSession, n: int) -> None:
        document = request(VIEWS_CAUGHT_UP, position=str(target), views=views, timeoutMs=60_000)
        async for message in session.subscribe(document):
            arrivals[n].append((time.monotonic(), message))

    async with contextlib.AsyncExitStack() as stack:
        sessions = await asyncio.gather(
            *(
                stack.enter_async_context(ws_session(server, subprotocol))
                for _ in range(SUBSCRIBERS // per_connection)
            )
        )
        tasks = [
            asyncio.ensure_future(subscriber(sessions[n // per_connection], n))
            for n in range(SUBSCRIBERS)
        ]
        try:
            await asyncio.sleep(1.5)  # every subscription reaches the server and waits
            assert not any(arrivals), "told before the position was written"
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
                sent = time.monotonic()
                data = await agql(
                    http,
                    REGISTER_CUSTOMER,
                    input={"name": "Fan Out", "email": f"fan-{new_id()}@example.com"},
                )
                acknowledged = time.monotonic()
            written = position(accepted(data["registerCustomer"]))
            assert written >= target
            done, pending = await asyncio.wait(tasks, timeout=FAN_OUT_DEADLINE_S)
            told = sum(1 for a in arrivals if a)
            assert not pending, f"{len(pending)} subscriptions did not complete; {told} told"
            for task in done:
                task.result()  # no subscription failed
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    expected = {"position": str(target), "views": views, "timedOut": False}
    assert all(len(a) == 1 for a in arrivals), sorted({len(a) for a in arrivals})
    assert all(a[0][1] == {"viewsCaughtUp": expected} for a in arrivals), arrivals[0]
    latencies = sorted((a[0][0] - acknowledged) * 1000 for a in arrivals)
    print(
        f"\n[{subprotocol}, {layout}] {SUBSCRIBERS} subscribers told; write answered in "
        f"{(acknowledged - sent) * 1000:.1f} ms; notification after the write's response: "
        f"median {statistics.median(latencies):.1f} ms, max {latencies[-1]:.1f} ms, "
        f"min {latencies[0]:.1f} ms (negative: told before the HTTP response arrived)"
    )
    assert latencies[-1] < FAN_OUT_DEADLINE_S * 1000


# --- 3. a client that vanishes mid-subscription ---------------------------------------------


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[Server, int]]:
    """A server of this test's own, and its process id (to look at its open files)."""
    port = free_port()
    env = environment(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/orders.db")
    process = start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path, "s.log")
    server = Server(base_url=f"http://127.0.0.1:{port}", log_path=tmp_path / "s.log")
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, server.log()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{server.base_url}/health", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
        yield server, process.pid
    finally:
        stop(process)


def open_sockets(pid: int) -> int:
    fds = Path(f"/proc/{pid}/fd")
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            if fd.readlink().name.startswith("socket:"):
                count += 1
    return count


DROPPED = 40
DROPPED_TIMEOUT_MS = 2_000  # the dropped subscriptions' own timeout: it passes while we watch


async def test_clients_that_vanish_mid_subscription_leave_the_server_healthy(
    own_server: tuple[Server, int],
) -> None:
    server, pid = own_server
    if not Path(f"/proc/{pid}/fd").exists():
        pytest.skip("no /proc to count the server's sockets")
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        customer = accepted(register_customer(http))["aggregateId"]
        product = accepted(add_product(http, initialStock=1000))["aggregateId"]
        async with ws_session(server, SUBPROTOCOLS[0]) as session:  # warm every code path
            await all_messages(session, VIEWS_CAUGHT_UP, position="0", views=["ORDER_DETAILS"])
        await asyncio.sleep(0.5)
        baseline = open_sockets(pid)

        # Subscriptions waiting (viewsCaughtUp far away, orderChanged of an order to come,
        # projectionProgress), then each connection dropped: half with the TCP connection
        # reset under it (no close frame, no `complete`), half with a bare close frame.
        clients = [ws_client(server, SUBPROTOCOLS[n % 2]) for n in range(DROPPED)]
        sessions = [await c.connect_async() for c in clients]  # type: ignore[no-untyped-call]
        documents = [
            request(
                VIEWS_CAUGHT_UP,
                position=str(FAR_AWAY),
                views=list(ALL_VIEWS),
                timeoutMs=DROPPED_TIMEOUT_MS,
            ),
            request("subscription($id: ID!) { orderChanged(id: $id) { id version } }", id=new_id()),
            request("subscription { projectionProgress { name position } }"),
        ]

        async def listen(session: AsyncClientSession, n: int) -> None:
            with contextlib.suppress(TransportError):
                async for _ in session.subscribe(documents[n % len(documents)]):
                    pass

        listening = [asyncio.ensure_future(listen(s, n)) for n, s in enumerate(sessions)]
        await asyncio.sleep(1.0)
        peak = open_sockets(pid)
        assert peak >= baseline + DROPPED
        for n, client in enumerate(clients):
            transport = client.transport
            assert isinstance(transport, WebsocketsTransport)
            websocket = transport.adapter.websocket
            assert websocket is not None
            if n % 4 < 2:
                websocket.transport.abort()  # a reset: the client is simply gone
            else:
                await websocket.close()
        await asyncio.wait(listening, timeout=10)
        for task in listening:
            task.cancel()
        await asyncio.gather(*listening, return_exceptions=True)
        for client in clients:
            with contextlib.suppress(Exception):
                await client.close_async()  # type: ignore[no-untyped-call]

        # The server lets go of every dropped connection...
        deadline = time.monotonic() + 10
        while open_sockets(pid) > baseline + 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert open_sockets(pid) <= baseline + 2, (baseline, open_sockets(pid))
        print(
            f"\nserver sockets: {baseline} before, {peak} with {DROPPED} subscribers, "
            f"{open_sockets(pid)} after they vanished"
        )
        # ... outlives the dropped subscriptions' own timeouts without a word of complaint ...
        await asyncio.sleep(DROPPED_TIMEOUT_MS / 1000 + 1.0)
        assert http.get("/health").status_code == 200
        # ... and serves new subscriptions, waiting and immediate, on both subprotocols.
        for subprotocol in SUBPROTOCOLS:
            async with ws_session(server, subprotocol) as session:
                target = (
                    int(
                        gql(http, "{ projections { headPosition } }")["projections"][0][
                            "headPosition"
                        ]
                    )
                    + 1
                )
                waiting = asyncio.ensure_future(
                    all_messages(
                        session, VIEWS_CAUGHT_UP, 10.0, position=str(target), views=list(ALL_VIEWS)
                    )
                )
                await asyncio.sleep(0.3)
                async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as ahttp:
                    data = await agql(
                        ahttp,
                        CREATE_ORDER,
                        input={
                            "customerId": customer,
                            "items": lines((product, 1)),
                            "shippingAddress": "after the storm",
                        },
                    )
                accepted(data["createOrder"])
                messages = await waiting
                assert messages[0]["viewsCaughtUp"]["timedOut"] is False
                assert len(messages) == 1
    assert log_problems(server) == [], server.log()


# --- 6. read-your-writes over HTTP ----------------------------------------------------------

READ_EVERY_VIEW = """
query($order: ID!, $customer: ID!, $product: ID!, $at: Position!, $day: Date!) {
  order(id: $order, atLeast: $at) { id version status }
  customer(id: $customer, atLeast: $at) { orderCount }
  customerOrders(customerId: $customer, first: 100, atLeast: $at) { nodes { id } }
  searchOrders(text: "Consistency", first: 100, atLeast: $at) { nodes { id } }
  product(id: $product, atLeast: $at) { reserved }
  salesReport(from: $day, to: $day, atLeast: $at) { orders }
}
"""
VIEW_OF_FIELD = {
    "order": "ORDER_DETAILS",
    "customer": "CUSTOMER_SUMMARY",
    "customerOrders": "CUSTOMER_ORDERS",
    "searchOrders": "ORDER_SEARCH",
    "product": "PRODUCT_CATALOG",
    "salesReport": "SALES_REPORT",
}


def accepted_waiting(result: dict[str, Any]) -> int:
    """A command accepted with `waitFor`: its position (caughtUp checked by the caller)."""
    assert result["ok"] is True, result
    assert result["errors"] == []
    return position(result)


def read_every_view(
    client: httpx.Client, order: str, customer: str, product: str, at: int
) -> tuple[dict[str, Any], dict[str, int]]:
    day = time.strftime("%Y-%m-%d", time.gmtime())
    response = post_graphql(
        client,
        READ_EVERY_VIEW,
        {"order": order, "customer": customer, "product": product, "at": str(at), "day": day},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    positions = {view: int(p) for view, p in body["extensions"]["viewPositions"].items()}
    return body["data"], positions


@pytest.mark.parametrize("wait_for", [True, False], ids=["waitFor", "atLeast-only"])
def test_read_your_writes_over_http(client: httpx.Client, wait_for: bool) -> None:
    customer = accepted(register_customer(client))["aggregateId"]
    product = accepted(add_product(client, initialStock=100))["aggregateId"]
    order = new_id()
    variables: dict[str, Any] = {
        "input": {
            "orderId": order,
            "customerId": customer,
            "items": lines((product, 3)),
            "shippingAddress": "7 Consistency Lane",
        }
    }
    if wait_for:
        variables |= {"waitFor": list(ALL_VIEWS), "timeoutMs": 5000}
    result = gql(client, CREATE_ORDER_WAITING, **variables)["createOrder"]
    written = accepted_waiting(result)
    if wait_for:
        assert sorted(result["caughtUp"]) == sorted(ALL_VIEWS), result
    else:
        assert result["caughtUp"] == []

    data, positions = read_every_view(client, order, customer, product, written)

    assert data["order"] == {"id": order, "version": 1, "status": "PENDING"}
    assert data["customer"] == {"orderCount": 1}
    assert {"id": order} in data["customerOrders"]["nodes"]
    assert {"id": order} in data["searchOrders"]["nodes"]
    assert data["product"] == {"reserved": 3}
    assert data["salesReport"] and data["salesReport"][0]["orders"] >= 1
    assert set(positions) == set(ALL_VIEWS), positions
    assert all(p >= written for p in positions.values()), (written, positions)


def test_a_position_the_view_does_not_reach_in_time_is_stale_view(client: httpx.Client) -> None:
    customer = accepted(register_customer(client))["aggregateId"]
    far = position(accepted(register_customer(client))) + 10**9
    queries = {
        "order": f'{{ order(id: "{new_id()}", atLeast: "{far}", timeoutMs: 200) {{ id }} }}',
        "customer": f'{{ customer(id: "{customer}", atLeast: {far}, timeoutMs: 200) '
        "{ orderCount } }",
    }
    for field, query in queries.items():
        started = time.monotonic()
        response = post_graphql(client, query)
        elapsed = time.monotonic() - started
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"] is None or body["data"][field] is None, body
        assert len(body["errors"]) == 1, body
        error = body["errors"][0]
        assert error["extensions"]["code"] == "STALE_VIEW", error
        assert error["path"] == [field]
        assert "Traceback" not in error["message"] and 'File "' not in error["message"], error
        assert "stacktrace" not in error.get("extensions", {}), error
        assert 0.18 <= elapsed < 1.5, f"answered after {elapsed:.3f} s, not about 0.2 s"
        # and where the view had got to instead, for the next try
        (reached_at,) = body["extensions"]["viewPositions"].values()
        assert list(body["extensions"]["viewPositions"]) == [error["extensions"]["view"]]
        assert 0 < int(reached_at) < far

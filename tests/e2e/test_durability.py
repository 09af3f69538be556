"""Durability: what the server acknowledged survives `kill -9` of the server.

A server is started on a database of its own, sent N createOrder commands, and killed with
SIGKILL the moment the last answer arrives (its projections most likely still busy). A
new server on the same database must then show every acknowledged command in the log
(orderHistory), and its views must catch up to exactly N orders: none lost, none twice.

A burst of createOrder commands from many connections is cut short by SIGKILL while
commands are still in flight: each acknowledged one must be in the log once, and each
command the server was writing when it died must be there whole (its order and all of
its stock reservations) or not at all.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from orders.server import SHUTDOWN_GRACE_S
from tests.e2e.commands import (
    ADD_PRODUCT,
    CREATE_ORDER,
    accepted,
    add_product,
    create_order,
    lines,
    new_id,
    position,
    register_customer,
)
from tests.e2e.graphql_http import gql, post_graphql, send_concurrently
from tests.e2e.processes import Server, environment, free_port, log_problems, start, stop
from tests.e2e.reads import all_pages, order_history, projections

ORDERS = 40
QUANTITY = 2
CATCH_UP_TIMEOUT_S = 20.0


@pytest.fixture
def durable_url(database_url: str, tmp_path: Path) -> str:
    """SQLite: a file of this test's own; PostgreSQL: the module's own database."""
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path}/orders.db"
    return database_url


@contextlib.contextmanager
def serving(
    workdir: Path, env: dict[str, str], log_name: str
) -> Iterator[tuple[Server, subprocess.Popen[bytes]]]:
    """`orders serve`, healthy, and its process (for the test to kill)."""
    port = free_port()
    process = start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, workdir, log_name)
    server = Server(base_url=f"http://127.0.0.1:{port}", log_path=workdir / log_name)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, f"the server exited:\n{server.log()}"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{server.base_url}/health", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"the server never got healthy:\n{server.log()}"
            time.sleep(0.05)
        yield server, process
    finally:
        stop(process)


def kill_9(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL


FIGURES = """
query($customer: ID!, $at: Position!) {
  customer(id: $customer, atLeast: $at, timeoutMs: 20000) { orderCount lifetimeValueCents }
  customerOrders(customerId: $customer, first: 100, atLeast: $at, timeoutMs: 20000) {
    nodes { id status itemCount }
  }
}
"""


@pytest.mark.slow
@pytest.mark.parametrize("sending", ["one-after-another", "all-at-once"])
def test_acknowledged_commands_survive_kill_9_of_the_server(
    tmp_path: Path, durable_url: str, sending: str
) -> None:
    env = environment(DATABASE_URL=durable_url)
    with serving(tmp_path, env, "first.log") as (server, process):
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            customer = accepted(register_customer(client))["aggregateId"]
            if sending == "one-after-another":
                product = accepted(add_product(client, initialStock=ORDERS * QUANTITY))[
                    "aggregateId"
                ]
                products = [product] * ORDERS
            else:  # a product per order: concurrent orders do not race for one stock
                made = send_concurrently(
                    server.base_url,
                    ADD_PRODUCT,
                    [
                        {
                            "sku": f"D-{new_id()}",
                            "name": "Durable",
                            "priceCents": 1000,
                            "initialStock": QUANTITY,
                        }
                        for _ in range(ORDERS)
                    ],
                )
                products = [accepted(p)["aggregateId"] for p in made]
            inputs = [
                {
                    "commandId": new_id(),
                    "orderId": new_id(),
                    "customerId": customer,
                    "items": lines((product, QUANTITY)),
                    "shippingAddress": "1 Crash Court",
                }
                for product in products
            ]
            if sending == "one-after-another":
                results = [create_order(client, customer, **payload) for payload in inputs]
            else:
                results = send_concurrently(server.base_url, CREATE_ORDER, inputs)
        kill_9(process)  # at once: the projections have had no time to finish
    for result in results:
        accepted(result)
    acknowledged = {
        payload["orderId"]: (payload, result)
        for payload, result in zip(inputs, results, strict=True)
    }
    last = max(position(result) for result in results)

    with (
        serving(tmp_path, env, "second.log") as (server, _process),
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        # Every acknowledged command is in the log.
        for order_id, (payload, result) in acknowledged.items():
            history = order_history(client, order_id)
            assert [(e["type"], e["commandId"], e["version"]) for e in history] == [
                ("OrderCreated", payload["commandId"], 1)
            ], f"order {order_id} acknowledged as {result}, in the log: {history}"
            # the command's position is that of the last event it wrote
            assert int(history[0]["position"]) <= position(result)
        # Every view catches up with all of them, each order counted once.
        figures = gql(client, FIGURES, customer=customer, at=str(last))
        assert figures["customer"] == {
            "orderCount": ORDERS,
            "lifetimeValueCents": ORDERS * QUANTITY * 2500
            if sending == "one-after-another"
            else ORDERS * QUANTITY * 1000,
        }
        nodes = figures["customerOrders"]["nodes"]
        assert sorted(n["id"] for n in nodes) == sorted(acknowledged)
        assert all(n["itemCount"] == QUANTITY for n in nodes)
        deadline = time.monotonic() + CATCH_UP_TIMEOUT_S
        while True:
            found = gql(client, "{ projections { name position state lag error } }")
            behind = [
                p
                for p in found["projections"]
                if int(p["position"]) < last or p["state"] != "RUNNING"
            ]
            if not behind:
                break
            assert time.monotonic() < deadline, f"projections did not catch up: {behind}"
            time.sleep(0.05)
        stock = gql(
            client, "query($id: ID!) { product(id: $id) { reserved available } }", id=products[-1]
        )["product"]
        reserved = QUANTITY * products.count(products[-1])
        assert stock == {"reserved": reserved, "available": 0}
        # And an acknowledged command sent again is recognised, not done twice.
        payload, result = acknowledged[inputs[-1]["orderId"]]
        again = create_order(client, customer, **payload)
        assert again["replayed"] is True, again
        assert (again["aggregateId"], again["position"]) == (
            result["aggregateId"],
            result["position"],
        )
        assert log_problems(server) == [], server.log()


BURST_PRODUCTS = 4
BURST_STOCK = 100_000
BURST_SENDERS = 16
KILL_AFTER_ACKNOWLEDGED = 150
BURST_TIMEOUT_S = 20.0


@dataclass
class Sent:
    """One createOrder command of the burst: its input, and the answer if one came."""

    payload: dict[str, Any]
    answer: dict[str, Any] | None = None  # the CommandResult
    lost: str | None = None  # the connection error instead of an answer
    garbled: str | None = None  # a response that was no CommandResult

    @property
    def acknowledged(self) -> bool:
        return self.answer is not None and self.answer["ok"] is True


class Burst:
    """createOrder commands sent in a loop by `senders` threads, each on a connection of its
    own, each thread stopping at its first connection error (the server is gone)."""

    def __init__(
        self, base_url: str, customer: str, products: list[str], senders: int, enough: int
    ) -> None:
        self._base_url, self._customer, self._products = base_url, customer, products
        self._enough, self._acknowledged = enough, 0
        self._lock = threading.Lock()
        self.sent: list[Sent] = []
        self.reached = threading.Event()  # `enough` commands acknowledged
        self._stop = threading.Event()  # the test is over: stop whatever happens
        self._threads = [
            threading.Thread(target=self._send, args=(n,), daemon=True) for n in range(senders)
        ]

    def __enter__(self) -> Burst:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self.join(timeout_s=BURST_TIMEOUT_S)

    def join(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        running = sum(thread.is_alive() for thread in self._threads)
        assert running == 0, f"{running} sender threads still running after {timeout_s} s"

    def _order(self, rng: random.Random) -> dict[str, Any]:
        products = rng.sample(self._products, rng.randint(1, 2))
        return {
            "commandId": new_id(),
            "orderId": new_id(),
            "customerId": self._customer,
            "items": lines(*((product, rng.randint(1, 3)) for product in products)),
            "shippingAddress": "1 Crash Court",
        }

    def _send(self, n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=self._base_url, timeout=10) as client:
            while not self._stop.is_set():
                sent = Sent(self._order(rng))
                with self._lock:
                    self.sent.append(sent)
                try:
                    response = post_graphql(client, CREATE_ORDER, {"input": sent.payload})
                except httpx.TransportError as error:
                    sent.lost = repr(error)
                    return
                body = response.json() if response.status_code == 200 else {}
                if "data" not in body or body.get("errors"):
                    sent.garbled = f"HTTP {response.status_code}: {response.text}"
                    return
                sent.answer = body["data"]["createOrder"]
                if sent.acknowledged:
                    with self._lock:
                        self._acknowledged += 1
                        if self._acknowledged >= self._enough:
                            self.reached.set()


def caught_up(client: httpx.Client, server: Server, timeout_s: float = CATCH_UP_TIMEOUT_S) -> int:
    """Wait until every projection is RUNNING with nothing left to apply; the log's head."""
    deadline = time.monotonic() + timeout_s
    while True:
        seen = projections(client)
        behind = [p for p in seen if p["state"] != "RUNNING" or p["lag"] != 0]
        if seen and not behind:
            return max(int(p["headPosition"]) for p in seen)
        assert time.monotonic() < deadline, (
            f"projections did not catch up: {behind}; the server's errors: "
            f"{log_problems(server)[:10]}"
        )
        time.sleep(0.05)


CUSTOMER_ORDER_ITEMS = """
query($customer: ID!, $first: Int, $after: String, $at: Position!) {
  customerOrders(customerId: $customer, first: $first, after: $after, atLeast: $at,
                 timeoutMs: 20000) {
    nodes { id items { productId quantity } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def orders_in_view(client: httpx.Client, customer: str, at: int) -> dict[str, dict[str, Any]]:
    """Every order of the customer in CUSTOMER_ORDERS (at least at `at`), page after page."""

    def fetch(**page: Any) -> dict[str, Any]:
        found: dict[str, Any] = gql(
            client, CUSTOMER_ORDER_ITEMS, customer=customer, at=str(at), **page
        )["customerOrders"]
        return found

    return {node["id"]: node for page in all_pages(fetch, first=100) for node in page["nodes"]}


def quantities(orders: list[dict[str, Any]]) -> Counter[str]:
    """How much of each product these orders (inputs or views' nodes) ask for."""
    total: Counter[str] = Counter()
    for order in orders:
        for item in order["items"]:
            total[item["productId"]] += item["quantity"]
    return total


def burst_shop(server: Server) -> tuple[str, list[str]]:
    """A customer, and products with stock enough for any burst."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        customer = accepted(register_customer(client))["aggregateId"]
        products = [
            accepted(add_product(client, initialStock=BURST_STOCK))["aggregateId"]
            for _ in range(BURST_PRODUCTS)
        ]
    return customer, products


@pytest.mark.slow
def test_kill_9_in_a_burst_loses_no_acknowledged_command_and_writes_no_half_of_one(
    tmp_path: Path, durable_url: str
) -> None:
    # Given a server with a customer and products with stock enough for any burst
    env = environment(DATABASE_URL=durable_url)
    with serving(tmp_path, env, "first.log") as (server, process):
        customer, products = burst_shop(server)
        # When it is killed mid-burst, commands still in flight on every connection
        with Burst(
            server.base_url, customer, products, BURST_SENDERS, KILL_AFTER_ACKNOWLEDGED
        ) as burst:
            assert burst.reached.wait(BURST_TIMEOUT_S), (
                f"not {KILL_AFTER_ACKNOWLEDGED} acknowledgements in {BURST_TIMEOUT_S} s:\n"
                + server.log()
            )
            kill_9(process)
            burst.join(timeout_s=BURST_TIMEOUT_S)  # each sender stops on its own
    assert [s.garbled for s in burst.sent if s.garbled] == []
    acknowledged = {s.payload["orderId"]: s for s in burst.sent if s.acknowledged}
    for sent in acknowledged.values():
        assert sent.answer is not None
        accepted(sent.answer)
    # stock is plenty, but a refusal (say, retries exhausted) is no acknowledgement either
    refused = {
        s.payload["orderId"]: s for s in burst.sent if s.answer is not None and not s.acknowledged
    }
    for sent in refused.values():
        assert sent.answer is not None
        assert sent.answer["errors"] and sent.answer["position"] is None, sent.answer
    unanswered = {s.payload["orderId"]: s for s in burst.sent if s.answer is None}
    assert len(acknowledged) >= KILL_AFTER_ACKNOWLEDGED
    assert all(s.lost for s in unanswered.values())  # cut off by the kill, one per sender
    assert len(unanswered) <= BURST_SENDERS

    # Then a new server on the same database has every acknowledged command once
    with (
        serving(tmp_path, env, "second.log") as (server, _process),
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        for order_id, sent in acknowledged.items():
            history = order_history(client, order_id)
            assert [(e["type"], e["commandId"], e["version"]) for e in history] == [
                ("OrderCreated", sent.payload["commandId"], 1)
            ], f"order {order_id} acknowledged as {sent.answer}, in the log: {history}"
            assert sent.answer is not None
            assert int(history[0]["position"]) <= position(sent.answer)
        # ... and each order in flight at the kill is in the log whole, once, or not at all
        head = caught_up(client, server)
        in_view = orders_in_view(client, customer, at=head)
        assert set(acknowledged) <= set(in_view), "acknowledged orders missing from the view"
        assert set(in_view) <= set(acknowledged) | set(unanswered), "orders nobody sent"
        for order_id, sent in refused.items():  # refused: nothing written
            assert order_history(client, order_id) == [], f"refused as {sent.answer}"
        for order_id, sent in unanswered.items():
            history = order_history(client, order_id)
            expected = (
                [("OrderCreated", sent.payload["commandId"], 1)] if order_id in in_view else []
            )
            assert [(e["type"], e["commandId"], e["version"]) for e in history] == expected, (
                f"order {order_id} (unanswered: {sent.lost}) in the view: "
                f"{order_id in in_view}, in the log: {history}"
            )
            if order_id in in_view:  # committed: exactly as it was sent
                assert quantities([in_view[order_id]]) == quantities([sent.payload])
        # every unit reserved belongs to an order in the log, and every order reserved its units
        reserved = {
            product: gql(
                client,
                "query($id: ID!, $at: Position!) {"
                " product(id: $id, atLeast: $at, timeoutMs: 20000) { reserved } }",
                id=product,
                at=str(head),
            )["product"]["reserved"]
            for product in products
        }
        ordered = quantities(list(in_view.values()))
        assert reserved == {product: ordered[product] for product in products}, (
            f"reserved {reserved}, ordered {dict(ordered)} by {len(in_view)} orders "
            f"({len(acknowledged)} acknowledged, {len(in_view) - len(acknowledged)} unanswered; "
            f"{len(refused)} refused)"
        )
        # And an acknowledged command sent again is recognised, not done twice
        sent = next(iter(acknowledged.values()))
        again = create_order(client, customer, **sent.payload)
        assert again["replayed"] is True, again
        assert sent.answer is not None
        assert (again["aggregateId"], again["position"]) == (
            sent.answer["aggregateId"],
            sent.answer["position"],
        )
        assert log_problems(server) == [], server.log()


@pytest.mark.slow
def test_sigterm_in_a_burst_answers_the_commands_in_flight_and_exits_within_its_grace(
    tmp_path: Path, durable_url: str
) -> None:
    # Given a server in a burst of commands, and a subscriber on a websocket
    env = environment(DATABASE_URL=durable_url)
    with serving(tmp_path, env, "first.log") as (server, process):
        customer, products = burst_shop(server)
        ws_url = server.base_url.replace("http", "ws", 1) + "/graphql"
        with (
            connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws,
            Burst(
                server.base_url, customer, products, BURST_SENDERS, KILL_AFTER_ACKNOWLEDGED
            ) as burst,
        ):
            ws.send('{"type": "connection_init"}')
            assert "connection_ack" in str(ws.recv(timeout=10))
            assert burst.reached.wait(BURST_TIMEOUT_S), server.log()
            # When it is told to stop
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            # Then the subscriber is told the server is going away
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=SHUTDOWN_GRACE_S)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
            # and the process exits within its grace, as uvicorn does after a graceful stop
            assert process.wait(timeout=SHUTDOWN_GRACE_S + 5) in (0, -signal.SIGTERM)
            assert time.monotonic() - stopping < SHUTDOWN_GRACE_S
            burst.join(timeout_s=BURST_TIMEOUT_S)
    assert [s.garbled for s in burst.sent if s.garbled] == []
    acknowledged = {s.payload["orderId"]: s for s in burst.sent if s.acknowledged}
    never_sent = {  # refused at the door once the server stopped listening
        s.payload["orderId"]: s for s in burst.sent if s.lost and "ConnectError" in s.lost
    }
    assert len(acknowledged) >= KILL_AFTER_ACKNOWLEDGED
    assert log_problems(Server(server.base_url, tmp_path / "first.log")) == []

    # And a new server on the same database has every acknowledged command, none never sent
    with (
        serving(tmp_path, env, "second.log") as (server, _process),
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        for order_id, sent in acknowledged.items():
            history = order_history(client, order_id)
            assert [e["commandId"] for e in history] == [sent.payload["commandId"]], history
        for order_id in never_sent:
            assert order_history(client, order_id) == []

"""Durability: what the server acknowledged survives `kill -9` of the server.

A server is started on a database of its own, sent N createOrder commands, and killed with
SIGKILL the moment the last answer arrives (its projections most likely still busy). A
new server on the same database must then show every acknowledged command in the log
(orderHistory), and its views must catch up to exactly N orders: none lost, none twice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.api import (
    ADD_PRODUCT,
    CREATE_ORDER,
    Server,
    accepted,
    add_product,
    create_order,
    gql,
    lines,
    log_problems,
    new_id,
    order_history,
    position,
    register_customer,
    send_concurrently,
)
from tests.e2e.processes import environment, free_port, start, stop

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

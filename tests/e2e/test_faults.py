"""Faults with real processes: Redis stopped under a steady load of commands in the
distributed mode (a Redis of the test's own, so that the shared one stays up), with a
subscriber listening, and every connection to PostgreSQL killed while commands come in."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.e2e.commands import (
    CREATE_ORDER,
    UPDATE_ORDER_STATUS,
    accepted,
    add_product,
    create_order,
    lines,
    new_id,
    position,
    register_customer,
)
from tests.e2e.conftest import psql
from tests.e2e.graphql_http import gql, post_graphql
from tests.e2e.processes import Server, environment, free_port, running_server
from tests.e2e.test_health import own_redis, running_worker

OUTAGE_S = 10
COMMANDS_IN_OUTAGE = 150
RATE_PER_S = 20

FIGURES = """query($customer: ID!, $at: Position!) {
  customer(id: $customer, atLeast: $at, timeoutMs: 30000) { orderCount }
}"""


class SteadyLoad:
    """createOrder at a steady rate from a thread, each outcome kept."""

    def __init__(self, base_url: str, customer: str, product: str) -> None:
        self.acknowledged: list[dict[str, object]] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(base_url, customer, product), daemon=True
        )

    def __enter__(self) -> SteadyLoad:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self, base_url: str, customer: str, product: str) -> None:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            while not self._stop.wait(1 / RATE_PER_S):
                try:
                    result = create_order(client, customer, (product, 1))
                except Exception as error:
                    self.failures.append(repr(error))
                    continue
                if result["ok"]:
                    self.acknowledged.append(result)
                else:
                    self.failures.append(str(result["errors"]))


class Subscriber:
    """orderChanged for one order over a websocket, read as the test asks."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws

    def next(self, timeout_s: float = 20) -> dict[str, Any]:
        message = json.loads(self._ws.recv(timeout=timeout_s))
        assert message["type"] == "next", message
        row: dict[str, Any] = message["payload"]["data"]["orderChanged"]
        return row

    def nothing_more(self, within_s: float = 1) -> None:
        with pytest.raises(TimeoutError):
            self._ws.recv(timeout=within_s)


@contextmanager
def subscribed(server: Server, order: str) -> Iterator[Subscriber]:
    url = server.base_url.replace("http", "ws", 1) + "/graphql"
    with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        query = "subscription($id: ID!) { orderChanged(id: $id) { id version } }"
        payload = {"query": query, "variables": {"id": order}}
        ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
        yield Subscriber(ws)


def test_commands_go_on_while_redis_is_down_and_every_view_catches_up_after(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    env = environment(
        DATABASE_URL=database_url,
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        REDIS_NAMESPACE=f"faults-{uuid.uuid4().hex[:8]}",
    )
    with (
        own_redis(port) as redis,
        running_server(tmp_path, env) as server,
        running_worker(tmp_path, env),
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        customer = accepted(register_customer(client))["aggregateId"]
        product = accepted(add_product(client, initialStock=1_000_000))["aggregateId"]
        order = accepted(create_order(client, customer, (product, 1)))["aggregateId"]
        with (
            SteadyLoad(server.base_url, customer, product) as load,
            subscribed(server, order) as subscriber,
        ):
            assert subscriber.next()["version"] == 1
            time.sleep(2)
            # When Redis stops for a while under the load, then comes back
            redis.terminate()
            redis.wait(timeout=10)
            during = len(load.acknowledged)
            confirmed = post_graphql(
                client, UPDATE_ORDER_STATUS, {"input": {"orderId": order, "status": "CONFIRMED"}}
            ).json()["data"]["updateOrderStatus"]
            assert confirmed["ok"], confirmed
            time.sleep(OUTAGE_S)
            assert len(load.acknowledged) - during >= OUTAGE_S * RATE_PER_S // 2, (
                "commands stalled while Redis was down"
            )
            with own_redis(port):
                time.sleep(3)
                # Then commands were accepted throughout, none failed
                load.__exit__()
                assert load.failures == []
                # And the views catch up with every acknowledged order, once each
                last = max(int(str(result["position"])) for result in load.acknowledged)
                figures = gql(client, FIGURES, customer=customer, at=str(last))
                assert figures["customer"]["orderCount"] == len(load.acknowledged) + 1
                # and the subscriber heard of the change made while Redis was away, once
                assert subscriber.next()["version"] == 2
                subscriber.nothing_more()
                positions = gql(client, "{ projections { name position state } }")
                for projection in positions["projections"]:
                    assert projection["state"] == "RUNNING", projection
                    assert int(projection["position"]) >= last, projection


def test_commands_cut_off_from_postgresql_fail_cleanly_and_succeed_after(
    tmp_path: Path, postgres_url: str
) -> None:
    # Given a server on a PostgreSQL database of its own
    name = postgres_url.rsplit("/", 1)[1]
    stop = threading.Event()

    def cut_off() -> None:
        while not stop.wait(0.02):
            psql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )

    with (
        running_server(tmp_path, environment(DATABASE_URL=postgres_url)) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        customer = accepted(register_customer(client))["aggregateId"]
        product = accepted(add_product(client, initialStock=1_000_000))["aggregateId"]
        sent: list[tuple[str, dict[str, Any]]] = []  # (commandId, the response's body)
        # When every connection to it is killed, again and again, while orders come in
        killer = threading.Thread(target=cut_off, daemon=True)
        killer.start()
        try:
            for _ in range(COMMANDS_IN_OUTAGE):
                command_id = new_id()
                response = post_graphql(
                    client, CREATE_ORDER, {"input": order_input(customer, product, command_id)}
                )
                assert response.status_code == 200, response.text
                sent.append((command_id, response.json()))
        finally:
            stop.set()
            killer.join(timeout=10)

        # Then each command was either accepted or refused as UNAVAILABLE, nothing else
        unavailable = []
        for command_id, body in sent:
            if body.get("errors"):
                (error,) = body["errors"]
                assert error["extensions"]["code"] == "UNAVAILABLE", error
                assert "same commandId" in error["message"]
                unavailable.append(command_id)
            else:
                assert body["data"]["createOrder"]["ok"] is True, body
        assert unavailable, "no command met the outage: the test proved nothing"
        # and sent again once it is back, each succeeds, written once whatever happened
        for command_id in unavailable:
            again = post_graphql(
                client, CREATE_ORDER, {"input": order_input(customer, product, command_id)}
            ).json()
            assert again["data"]["createOrder"]["ok"] is True, again
        # and the views (run in this process) reconnected and count every order once
        last = position(accepted(create_order(client, customer, (product, 1))))
        figures = gql(client, FIGURES, customer=customer, at=str(last))
        assert figures["customer"]["orderCount"] == len(sent) + 1


def order_input(customer: str, product: str, command_id: str) -> dict[str, object]:
    return {
        "commandId": command_id,
        "customerId": customer,
        "items": lines((product, 1)),
        "shippingAddress": "1 Outage Road",
    }

"""Who may do what, against a server with AUTH_SECRET set: tokens minted by `orders token`
and by the same function, checked role by role (schema/auth.py has the table)."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from schema.auth import mint
from tests.e2e.commands import (
    ADD_PRODUCT,
    CANCEL_ORDER,
    CREATE_ORDER,
    REGISTER_CUSTOMER,
    lines,
    new_id,
)
from tests.e2e.processes import ORDERS, Server, environment, running_server

SECRET = "a-test-secret-" + uuid.uuid4().hex


def token(role: str, customer_id: str | None = None, ttl_s: int = 600) -> str:
    return mint(SECRET, f"{role}-{new_id()[:8]}", [role], customer_id, ttl_s)


class Caller:
    """GraphQL over HTTP as one caller (a token, or none)."""

    def __init__(self, server: Server, bearer: str | None) -> None:
        self.url = f"{server.base_url}/graphql"
        self.headers = {"authorization": f"Bearer {bearer}"} if bearer else {}

    def ask(self, query: str, **variables: Any) -> dict[str, Any]:
        body = {"query": query, "variables": variables}
        response = httpx.post(self.url, json=body, headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def order(self, customer: str, product: str) -> dict[str, Any]:
        """createOrder of one unit for `customer`: its CommandResult."""
        return self.command(
            CREATE_ORDER,
            "createOrder",
            customerId=customer,
            shippingAddress="1 Main St",
            items=lines((product, 1)),
        )

    def command(self, mutation: str, field: str, **payload: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ask(mutation, input=payload)["data"][field]
        return result


def refused_as_unauthorized(result: dict[str, Any]) -> None:
    assert result["ok"] is False, result
    assert [e["code"] for e in result["errors"]] == ["UNAUTHORIZED"], result


def unauthorized(body: dict[str, Any]) -> None:
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHORIZED"], body


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    workdir = tmp_path_factory.mktemp("auth")
    env = environment(DATABASE_URL=str(workdir / "orders.db"), AUTH_SECRET=SECRET)
    with running_server(workdir, env) as server:
        yield server, env


@pytest.fixture(scope="module")
def shop(secured: tuple[Server, dict[str, str]]) -> dict[str, str]:
    """Two customers, each with an order, and a product, made by the right callers."""
    server, _env = secured
    anonymous, staff = Caller(server, None), Caller(server, token("staff"))
    ids = {"ann": new_id(), "bob": new_id(), "product": new_id()}
    for name in ("ann", "bob"):
        registered = anonymous.command(
            REGISTER_CUSTOMER,
            "registerCustomer",
            customerId=ids[name],
            name=name,
            email=f"{name}-{ids[name]}@example.com",
        )
        assert registered["ok"], registered
    added = staff.command(
        ADD_PRODUCT,
        "addProduct",
        productId=ids["product"],
        sku=new_id(),
        name="Mug",
        priceCents=900,
        initialStock=100,
    )
    assert added["ok"], added
    for name in ("ann", "bob"):
        placed = Caller(server, token("customer", ids[name])).order(ids[name], ids["product"])
        assert placed["ok"], placed
        ids[f"{name}_order"] = placed["aggregateId"]
    return ids


ORDER = "query($id: ID!) { order(id: $id, timeoutMs: 5000) { id customerId } }"
PAGE = "query($id: ID!) { customerOrders(customerId: $id) { nodes { id } } }"
CUSTOMER = "query($id: ID!) { customer(id: $id) { id } }"
PRODUCTS = "{ products { nodes { id } } }"


def test_without_a_token_only_the_catalog_and_registering(secured, shop) -> None:
    server, _ = secured
    anonymous = Caller(server, None)
    assert anonymous.ask(PRODUCTS)["data"]["products"]["nodes"]
    unauthorized(anonymous.ask(ORDER, id=shop["ann_order"]))
    unauthorized(anonymous.ask(PAGE, id=shop["ann"]))
    unauthorized(anonymous.ask("{ projections { name } }"))
    refused_as_unauthorized(anonymous.order(shop["ann"], shop["product"]))


def test_a_customer_sees_and_changes_only_its_own(secured, shop) -> None:
    server, _ = secured
    ann = Caller(server, token("customer", shop["ann"]))
    own = ann.ask(ORDER, id=shop["ann_order"])["data"]["order"]
    assert own == {"id": shop["ann_order"], "customerId": shop["ann"]}
    # another's order reads as null, exactly like an unknown one; pages leave it out
    assert ann.ask(ORDER, id=shop["bob_order"]) == ann.ask(ORDER, id=new_id()) | {
        "extensions": ann.ask(ORDER, id=shop["bob_order"])["extensions"]
    }
    assert ann.ask(ORDER, id=shop["bob_order"])["data"]["order"] is None
    assert ann.ask(PAGE, id=shop["bob"])["data"]["customerOrders"]["nodes"] == []
    assert ann.ask(PAGE, id=shop["ann"])["data"]["customerOrders"]["nodes"] == [
        {"id": shop["ann_order"]}
    ]
    assert ann.ask(CUSTOMER, id=shop["bob"])["data"]["customer"] is None
    searched = ann.ask("{ searchOrders { nodes { customerId } } }")["data"]["searchOrders"]
    assert {node["customerId"] for node in searched["nodes"]} == {shop["ann"]}
    # commands on another's order, or for another customer, are UNAUTHORIZED
    refused_as_unauthorized(
        ann.command(CANCEL_ORDER, "cancelOrder", orderId=shop["bob_order"], reason="not mine")
    )
    refused_as_unauthorized(
        ann.command(CANCEL_ORDER, "cancelOrder", orderId=new_id(), reason="no such order")
    )
    refused_as_unauthorized(ann.order(shop["bob"], shop["product"]))
    refused_as_unauthorized(
        ann.command(ADD_PRODUCT, "addProduct", sku=new_id(), name="x", priceCents=1, initialStock=1)
    )
    unauthorized(ann.ask('{ salesReport(from: "2026-01-01", to: "2026-01-02") { day } }'))
    unauthorized(
        ann.ask("query($id: ID!) { orderHistory(orderId: $id) { type } }", id=shop["ann_order"])
    )


def test_staff_reads_everything_and_places_no_orders(secured, shop) -> None:
    server, _ = secured
    staff = Caller(server, token("staff"))
    assert staff.ask(ORDER, id=shop["bob_order"])["data"]["order"]["customerId"] == shop["bob"]
    assert len(staff.ask("{ projections { name } }")["data"]["projections"]) == 7
    history = staff.ask(
        "query($id: ID!) { orderHistory(orderId: $id) { type } }", id=shop["bob_order"]
    )
    assert history["data"]["orderHistory"][0]["type"] == "OrderCreated"
    refused_as_unauthorized(staff.order(shop["bob"], shop["product"]))
    cancelled = staff.command(
        CANCEL_ORDER, "cancelOrder", orderId=shop["bob_order"], reason="out of print"
    )
    assert cancelled["ok"], cancelled


@pytest.mark.parametrize(
    "bearer",
    [
        "not-a-token",
        jwt.encode(
            {"sub": "x", "roles": ["admin"], "exp": 4_000_000_000},
            "another-secret-of-at-least-32-bytes!!",
        ),
        jwt.encode({"sub": "x", "roles": ["admin"], "exp": int(time.time()) - 10}, SECRET),
        jwt.encode({"sub": "x", "roles": ["root"], "exp": 4_000_000_000}, SECRET),
        jwt.encode({"sub": "x", "roles": ["customer"], "exp": 4_000_000_000}, SECRET),
    ],
    ids=["garbage", "forged", "expired", "unknown role", "customer without customer_id"],
)
def test_a_bad_token_is_401_whatever_it_asks(secured, bearer: str) -> None:
    server, _ = secured
    response = httpx.post(
        f"{server.base_url}/graphql",
        json={"query": PRODUCTS},
        headers={"authorization": f"Bearer {bearer}"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    unauthorized(response.json())


def test_websockets_take_the_token_at_connection_init(secured, shop) -> None:
    server, _ = secured
    url = server.base_url.replace("http", "ws", 1) + "/graphql"
    protocol = [Subprotocol("graphql-transport-ws")]
    with connect(url, subprotocols=protocol) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer x"}}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    bearer = f"Bearer {token('customer', shop['ann'])}"
    with connect(url, subprotocols=protocol) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": bearer}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        query = "subscription($id: ID!) { orderChanged(id: $id) { id } }"
        for n, order in enumerate((shop["bob_order"], shop["ann_order"])):
            payload = {"query": query, "variables": {"id": order}}
            ws.send(json.dumps({"type": "subscribe", "id": str(n), "payload": payload}))
        first = json.loads(ws.recv(timeout=10))  # ann's own order; bob's says nothing
        assert (
            first["id"] == "1"
            and first["payload"]["data"]["orderChanged"]["id"] == (shop["ann_order"])
        )
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1)


def test_commands_record_who_issued_them(secured, shop) -> None:
    server, _ = secured
    history = Caller(server, token("admin")).ask(
        "query($id: ID!) { orderHistory(orderId: $id) { type actor } }", id=shop["ann_order"]
    )["data"]["orderHistory"]
    assert history[0]["actor"].startswith("customer-")


def test_orders_token_mints_what_the_server_takes(secured, shop, tmp_path: Path) -> None:
    server, env = secured
    minted = subprocess.run(
        [ORDERS, "token", "--sub", "ops", "--role", "staff", "--ttl", "5m"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert Caller(server, minted).ask("{ projections { name } }")["data"]["projections"]


def test_serving_beyond_loopback_without_auth_is_refused(tmp_path: Path) -> None:
    refused = subprocess.run(
        [ORDERS, "serve", "--host", "0.0.0.0", "--port", "1"],
        env=environment(DATABASE_URL=str(tmp_path / "o.db")),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "AUTH_SECRET" in refused.stderr and "127.0.0.1" in refused.stderr


def test_mutations_are_limited_per_client_with_a_retry_hint(tmp_path: Path) -> None:
    env = environment(
        DATABASE_URL=str(tmp_path / "orders.db"), AUTH_SECRET=SECRET, RATE_LIMIT="1/s"
    )
    with running_server(tmp_path, env) as server:
        ann, bob = Caller(server, None), Caller(server, token("staff"))
        answers = [
            ann.ask(REGISTER_CUSTOMER, input={"name": "A", "email": f"{new_id()}@example.com"})
            for _ in range(12)
        ]
        limited = [a for a in answers if a.get("errors")]
        assert len(limited) == 2  # a burst of 10, then one a second
        error = limited[0]["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert 0 < error["extensions"]["retryAfterSeconds"] <= 1
        assert "try again in" in error["message"]
        # another client has a bucket of its own; an admin has none
        staff_add = bob.command(
            ADD_PRODUCT, "addProduct", sku=new_id(), name="x", priceCents=1, initialStock=1
        )
        assert staff_add["ok"], staff_add
        admin = Caller(server, token("admin"))
        for _ in range(15):
            assert admin.command(
                REGISTER_CUSTOMER, "registerCustomer", name="A", email=f"{new_id()}@example.com"
            )["ok"]


def test_a_kept_answer_is_not_served_to_a_token_that_has_expired_since(secured) -> None:
    server, _ = secured
    short = token("staff", ttl_s=2)
    staff = Caller(server, short)
    first = staff.ask("{ projections { name } }")
    assert staff.ask(PRODUCTS) == staff.ask(PRODUCTS)  # asked twice: the answer is kept
    assert first["data"]["projections"]
    time.sleep(2.5)
    expired = httpx.post(  # the very request whose answer was kept
        f"{server.base_url}/graphql",
        json={"query": PRODUCTS, "variables": {}},
        headers={"authorization": f"Bearer {short}"},
    )
    assert expired.status_code == 401
    unauthorized(expired.json())

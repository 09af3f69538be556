"""Every command input, fuzzed through the real HTTP endpoint (hypothesis): arbitrary
Unicode (lone surrogates, NUL, invisible characters included), sizes and numbers at and
past the limits. Every answer is a 200 with data or a client's error, never a 500 nor an
internal message, and afterwards every view is RUNNING with no error."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.commands import (
    ADD_PRODUCT,
    CANCEL_ORDER,
    CHANGE_PRODUCT_PRICE,
    CREATE_ORDER,
    REGISTER_CUSTOMER,
    RESTOCK_PRODUCT,
    UPDATE_ORDER_STATUS,
    accepted,
    add_product,
    create_order,
    new_id,
    register_customer,
)
from tests.e2e.graphql_http import gql, post_graphql

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples in every run: a failure here is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CODES = {"VALIDATION", "NOT_FOUND", "CONFLICT", "RULE_VIOLATED"}
INTERNAL = ("Unexpected error", "Traceback", "codec", "sys.set_int_max_str_digits", 'File "')

# Any code point, lone surrogates and control characters included, sent as JSON escapes.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=300)
NEAR_LIMITS = st.one_of(
    st.integers(-5, 5),
    st.sampled_from([10_000, 10_001, 1_000_000, 1_000_001, 2**31 - 1, 2**31, -(2**31) - 1]),
    st.integers(-(2**40), 2**40),
)
IDS = st.one_of(st.just(None), st.uuids().map(str), ANY_TEXT)


def answer_of(response: httpx.Response, field: str) -> None:
    assert response.status_code in (200, 400), f"HTTP {response.status_code}: {response.text}"
    body: dict[str, Any] = response.json()
    for error in body.get("errors", []):
        assert not any(word in error["message"] for word in INTERNAL), error
    if body.get("data") and body["data"].get(field):
        result = body["data"][field]
        assert result["ok"] or {e["code"] for e in result["errors"]} <= CODES, result
        for error in result["errors"]:
            assert not any(word in error["message"] for word in INTERNAL), error
    else:
        assert body.get("errors"), body  # no data: a GraphQL error says why


def send(client: httpx.Client, mutation: str, field: str, payload: dict[str, Any]) -> None:
    answer_of(post_graphql(client, mutation, {"input": payload}), field)


@pytest.fixture(scope="module")
def shop(client: httpx.Client) -> dict[str, str]:
    customer = accepted(register_customer(client))["aggregateId"]
    product = accepted(add_product(client, initialStock=1_000_000))["aggregateId"]
    order = accepted(create_order(client, customer, (product, 1)))["aggregateId"]
    return {"customer": customer, "product": product, "order": order}


@EXAMPLES
@given(name=ANY_TEXT, email=ANY_TEXT, command_id=IDS, customer_id=IDS)
def test_register_customer(client: httpx.Client, name, email, command_id, customer_id) -> None:
    payload = {"name": name, "email": email, "commandId": command_id, "customerId": customer_id}
    send(client, REGISTER_CUSTOMER, "registerCustomer", payload)


@EXAMPLES
@given(
    sku=ANY_TEXT,
    name=ANY_TEXT,
    description=st.none() | ANY_TEXT,
    price=NEAR_LIMITS,
    stock=NEAR_LIMITS,
)
def test_add_product(client: httpx.Client, sku, name, description, price, stock) -> None:
    payload = {
        "sku": sku,
        "name": name,
        "description": description,
        "priceCents": price,
        "initialStock": stock,
    }
    send(client, ADD_PRODUCT, "addProduct", payload)


@EXAMPLES
@given(quantity=NEAR_LIMITS, price=NEAR_LIMITS, product_id=IDS)
def test_restock_and_reprice(client: httpx.Client, shop, quantity, price, product_id) -> None:
    product = product_id if product_id is not None else shop["product"]
    send(client, RESTOCK_PRODUCT, "restockProduct", {"productId": product, "quantity": quantity})
    send(
        client,
        CHANGE_PRODUCT_PRICE,
        "changeProductPrice",
        {"productId": product, "priceCents": price},
    )


@EXAMPLES
@given(
    address=ANY_TEXT,
    quantities=st.lists(NEAR_LIMITS, min_size=0, max_size=3),
    customer_id=IDS,
)
def test_create_order(client: httpx.Client, shop, address, quantities, customer_id) -> None:
    payload = {
        "customerId": customer_id if customer_id is not None else shop["customer"],
        "shippingAddress": address,
        "items": [{"productId": shop["product"], "quantity": q} for q in quantities],
    }
    send(client, CREATE_ORDER, "createOrder", payload)


@EXAMPLES
@given(
    reason=ANY_TEXT,
    version=st.none() | NEAR_LIMITS,
    status=st.sampled_from(["CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED", "PENDING"]),
)
def test_change_and_cancel_orders(client: httpx.Client, shop, reason, version, status) -> None:
    order = accepted(create_order(client, shop["customer"], (shop["product"], 1)))["aggregateId"]
    send(
        client,
        UPDATE_ORDER_STATUS,
        "updateOrderStatus",
        {"orderId": order, "status": status, "expectedVersion": version},
    )
    send(
        client,
        CANCEL_ORDER,
        "cancelOrder",
        {"orderId": order, "reason": reason, "expectedVersion": version},
    )


def test_after_the_fuzzing_every_view_runs_without_error(client: httpx.Client) -> None:
    # one last command, so that the views have something to reach
    accepted(register_customer(client, email=f"{new_id()}@example.com"))
    deadline = time.monotonic() + 30
    while True:
        found = gql(client, "{ projections { name state lag error } }")["projections"]
        if all(p["lag"] == 0 for p in found) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [(p["name"], p["state"], p["error"]) for p in found if p["state"] != "RUNNING"] == []
    assert all(p["error"] is None for p in found), found

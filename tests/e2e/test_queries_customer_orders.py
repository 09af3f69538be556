"""customerOrders: one customer's orders, newest first, in keyset pages."""

import base64
import json
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.e2e.commands import (
    accepted,
    add_product,
    cancel_order,
    create_order,
    new_id,
    register_customer,
    update_order_status,
)
from tests.e2e.graphql_http import query_errors
from tests.e2e.reads import (
    CUSTOMER_ORDERS,
    PRODUCTS,
    all_pages,
    customer_orders,
    list_products,
    settle,
)

ORDERS_PLACED = 25


@pytest.fixture(scope="module")
def history(client: httpx.Client) -> dict[str, Any]:
    """One customer with 25 orders, oldest first; #3, #10 and #17 cancelled, #5 and #20
    confirmed; and another customer's order placed in between, which must never show."""
    customer_id = accepted(register_customer(client, name="Paging Pat"))["aggregateId"]
    other_id = accepted(register_customer(client, name="Someone Else"))["aggregateId"]
    product_id = accepted(add_product(client, priceCents=100, initialStock=1000))["aggregateId"]
    placed = []
    for n in range(ORDERS_PLACED):
        placed.append(accepted(create_order(client, customer_id, (product_id, n + 1))))
        if n == 12:
            accepted(create_order(client, other_id, (product_id, 1)))
    order_ids = [result["aggregateId"] for result in placed]
    last = [
        *(accepted(cancel_order(client, order_ids[n])) for n in (3, 10, 17)),
        *(accepted(update_order_status(client, order_ids[n], "CONFIRMED")) for n in (5, 20)),
    ]
    settle(client, *placed, *last)
    return {"customer_id": customer_id, "order_ids": order_ids}


def assert_consistent(page: dict[str, Any]) -> None:
    """Edges and nodes show the same orders; endCursor is the last edge's cursor."""
    assert [edge["node"] for edge in page["edges"]] == page["nodes"]
    cursors = [edge["cursor"] for edge in page["edges"]]
    assert all(isinstance(cursor, str) and cursor for cursor in cursors)
    assert len(set(cursors)) == len(cursors)
    assert page["pageInfo"]["endCursor"] == (cursors[-1] if cursors else None)


def test_pages_of_ten_walk_every_order_newest_first(client: httpx.Client, history):
    customer_id = history["customer_id"]

    pages = all_pages(lambda **args: customer_orders(client, customer_id, **args), 10)

    assert [len(page["nodes"]) for page in pages] == [10, 10, 5]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
    for page in pages:
        assert_consistent(page)
    nodes = [node for page in pages for node in page["nodes"]]
    assert [node["id"] for node in nodes] == list(reversed(history["order_ids"]))
    assert {node["customerId"] for node in nodes} == {customer_id}
    created = [datetime.fromisoformat(node["createdAt"]) for node in nodes]
    assert created == sorted(created, reverse=True)
    # The quantity of order n is n + 1: the rows are the orders they claim to be.
    assert [node["itemCount"] for node in nodes] == list(range(ORDERS_PLACED, 0, -1))


def test_a_page_as_large_as_the_rest_says_there_is_no_next_page(client: httpx.Client, history):
    customer_id = history["customer_id"]
    first = customer_orders(client, customer_id, first=20)

    rest = customer_orders(client, customer_id, first=5, after=first["pageInfo"]["endCursor"])

    assert first["pageInfo"]["hasNextPage"] is True
    assert len(rest["nodes"]) == 5
    assert rest["pageInfo"]["hasNextPage"] is False
    everything = customer_orders(client, customer_id, first=100)
    assert len(everything["nodes"]) == ORDERS_PLACED
    assert everything["pageInfo"]["hasNextPage"] is False


def test_the_default_page_is_twenty(client: httpx.Client, history):
    page = customer_orders(client, history["customer_id"])

    assert len(page["nodes"]) == 20
    assert page["pageInfo"]["hasNextPage"] is True


def test_the_status_filter_pages_too(client: httpx.Client, history):
    customer_id, order_ids = history["customer_id"], history["order_ids"]

    cancelled = all_pages(
        lambda **args: customer_orders(client, customer_id, status="CANCELLED", **args), 2
    )
    confirmed = customer_orders(client, customer_id, status="CONFIRMED")
    delivered = customer_orders(client, customer_id, status="DELIVERED")
    pending = all_pages(
        lambda **args: customer_orders(client, customer_id, status="PENDING", **args), 7
    )

    assert [len(page["nodes"]) for page in cancelled] == [2, 1]
    for page in cancelled:
        assert_consistent(page)
    cancelled_nodes = [node for page in cancelled for node in page["nodes"]]
    assert [node["id"] for node in cancelled_nodes] == [order_ids[n] for n in (17, 10, 3)]
    assert {node["status"] for node in cancelled_nodes} == {"CANCELLED"}
    assert [node["id"] for node in confirmed["nodes"]] == [order_ids[n] for n in (20, 5)]
    assert confirmed["pageInfo"]["hasNextPage"] is False
    assert delivered == {
        "edges": [],
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    pending_ids = [node["id"] for page in pending for node in page["nodes"]]
    expected = [order_ids[n] for n in reversed(range(ORDERS_PLACED)) if n not in {3, 5, 10, 17, 20}]
    assert pending_ids == expected


def test_a_customer_without_orders_has_an_empty_page(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]

    for someone in (customer_id, new_id()):
        page = customer_orders(client, someone, first=5)
        assert page == {
            "edges": [],
            "nodes": [],
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        }


@pytest.mark.parametrize("first", [0, -1, 101])
def test_a_page_size_out_of_range_is_a_graphql_error(client: httpx.Client, history, first):
    errors = query_errors(client, CUSTOMER_ORDERS, customerId=history["customer_id"], first=first)

    assert any("first" in error["message"] for error in errors), errors


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


GARBAGE_CURSORS = {
    "not base64": "%%% not a cursor %%%",
    "bad padding": "abc",
    "empty": "",
    "not json": _b64(b"hello world"),
    "not utf-8": _b64(b"\xff\xfe\xfd\xfc"),
    "json object": _b64(json.dumps({"created_at": "2024-01-01"}).encode()),
    "too short": _b64(json.dumps(["2024-01-01T00:00:00"]).encode()),
    "numbers": _b64(json.dumps([1, 2]).encode()),
    "not a time": _b64(json.dumps(["yesterday", new_id()]).encode()),
}


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS.values(), ids=GARBAGE_CURSORS.keys())
def test_a_garbage_cursor_is_a_graphql_error(client: httpx.Client, history, cursor):
    errors = query_errors(
        client, CUSTOMER_ORDERS, customerId=history["customer_id"], first=5, after=cursor
    )

    assert errors


def test_a_cursor_of_the_product_list_is_a_graphql_error(client: httpx.Client, history):
    accepted(add_product(client, name=f"Cursor source {new_id()}"))
    product_cursor = list_products(client, first=1)["pageInfo"]["endCursor"]
    assert product_cursor

    errors = query_errors(
        client, CUSTOMER_ORDERS, customerId=history["customer_id"], first=5, after=product_cursor
    )

    assert errors


def test_an_order_cursor_is_a_graphql_error_for_the_product_list(client: httpx.Client, history):
    order_cursor = customer_orders(client, history["customer_id"], first=1)["pageInfo"]["endCursor"]

    errors = query_errors(client, PRODUCTS, first=5, after=order_cursor)

    assert errors


def test_a_cursor_with_a_time_without_offset_is_refused_without_internals(
    client: httpx.Client, history
):
    """A hand-made cursor whose time has no offset: a GraphQL error that names the cursor,
    not one that shows the database's SQL."""
    forged = _b64(json.dumps(["orders", "2999-01-01T00:00:00", new_id()]).encode())

    errors = query_errors(
        client, CUSTOMER_ORDERS, customerId=history["customer_id"], first=5, after=forged
    )

    messages = [error["message"] for error in errors]
    assert not any("SQL" in m or "SELECT" in m for m in messages), messages

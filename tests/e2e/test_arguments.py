"""Query arguments no view can answer as asked: each is a client error naming the argument,
in words written for a client, and the server answers the next request as usual."""

import base64
import json
from typing import Any

import httpx
import pytest

from tests.e2e.commands import new_id
from tests.e2e.graphql_http import post_graphql


def cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


NESTED = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()
SEARCH = "query($v: %s) { searchOrders(%s: $v) { edges { node { id } } } }"
PRODUCTS = "query($v: %s) { products(%s: $v) { edges { node { id } } } }"

CASES = {
    "long search text": (PRODUCTS % ("String", "text"), "x" * 100_000, "text must be at most"),
    "a surrogate in search text": (SEARCH % ("String", "text"), "a\ud800", "text must not hold"),
    "NUL in search text": (PRODUCTS % ("String", "text"), "a\x00", "text must not hold"),
    "createdFrom past year 9999 in UTC": (
        SEARCH % ("DateTime", "createdFrom"),
        "9999-12-31T23:59:59-14:00",
        "createdFrom lies outside the years 1 to 9999",
    ),
    "createdTo before year 1 in UTC": (
        SEARCH % ("DateTime", "createdTo"),
        "0001-01-01T00:00:00+14:00",
        "createdTo lies outside the years 1 to 9999",
    ),
    "a cursor holding an out-of-range date": (
        SEARCH % ("String", "after"),
        cursor("orders", "9999-12-31T23:59:59-14:00", new_id()),
        "not a cursor of this list",
    ),
    "a cursor of deeply nested JSON": (SEARCH % ("String", "after"), NESTED, "not a cursor"),
    "a products cursor of deeply nested JSON": (
        PRODUCTS % ("String", "after"),
        NESTED,
        "not a cursor",
    ),
    "a surrogate in a cursor": (SEARCH % ("String", "after"), "\udc00", "not a cursor"),
    "an order id that is no UUID": (
        "query($v: ID!) { order(id: $v) { id } }",
        "not-a-uuid",
        "id must be a UUID",
    ),
    "a surrogate in an order id": (
        "query($v: ID!) { order(id: $v) { id } }",
        "\ud800",
        "id must be a UUID",
    ),
    "a customer id that is no UUID": (
        "query($v: ID!) { customerOrders(customerId: $v) { edges { node { id } } } }",
        "42",
        "customerId must be a UUID",
    ),
    "an order history id that is no UUID": (
        "query($v: ID!) { orderHistory(orderId: $v) { type } }",
        "x",
        "orderId must be a UUID",
    ),
}


@pytest.mark.parametrize(("query", "value", "message"), CASES.values(), ids=CASES.keys())
def test_an_argument_no_view_can_answer_is_a_client_error(
    client: httpx.Client, query: str, value: str, message: str
):
    response = post_graphql(client, query, {"v": value})
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert message in errors[0]["message"], errors
    assert "Unexpected error" not in errors[0]["message"]


def test_an_unknown_well_formed_id_is_null(client: httpx.Client):
    response = post_graphql(client, "query($v: ID!) { order(id: $v) { id } }", {"v": new_id()})
    assert response.json() == {
        "data": {"order": None},
        "extensions": response.json()["extensions"],
    }


def test_an_int_literal_of_thousands_of_digits_gets_no_python_advice(client: httpx.Client):
    query = "{ searchOrders(minTotalCents: %s) { edges { node { id } } } }" % ("9" * 5000)
    (error,) = post_graphql(client, query).json()["errors"]
    assert error["message"] == "Int cannot represent this value: the largest Int is 2147483647"

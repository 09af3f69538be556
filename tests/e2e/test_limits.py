"""Abuse is refused cheaply and clearly; a client's own mistakes are shown, internals never."""

from __future__ import annotations

import httpx
from graphql import get_introspection_query

from schema.limits import MAX_ALIASES, MAX_BODY_BYTES, MAX_DEPTH, MAX_TOKENS


def errors_of(client: httpx.Client, query: str) -> list[str]:
    response = client.post("/graphql", json={"query": query})
    assert response.status_code in (200, 400), response.text
    return [error["message"] for error in response.json().get("errors", [])]


def test_graphiqls_introspection_query_is_allowed(client: httpx.Client) -> None:
    response = client.post("/graphql", json={"query": get_introspection_query(descriptions=True)})
    assert response.status_code == 200 and "errors" not in response.json()
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_too_many_tokens_are_refused(client: httpx.Client) -> None:
    query = "{ " + " ".join("projections { name }" for _ in range(MAX_TOKENS // 4)) + " }"
    assert any("token" in message.lower() for message in errors_of(client, query))


def test_too_many_aliases_are_refused(client: httpx.Client) -> None:
    query = "{ " + " ".join(f"a{n}: projections {{ name }}" for n in range(MAX_ALIASES + 1)) + " }"
    assert any("alias" in message.lower() for message in errors_of(client, query))


def test_queries_nested_too_deep_are_refused(client: httpx.Client) -> None:
    customer = "00000000-0000-4000-8000-000000000001"
    deepest = (
        f'{{ customerOrders(customerId: "{customer}") '
        "{ edges { node { items { productName } } } } }"
    )
    assert errors_of(client, deepest) == []
    nested = "leaf"
    for level in range(MAX_DEPTH + 2):
        nested = f"f{level} {{ {nested} }}"
    assert any("depth" in message for message in errors_of(client, "{ " + nested + " }"))


def test_an_oversized_body_is_refused_with_413(client: httpx.Client) -> None:
    response = client.post(
        "/graphql",
        content=b'{"query": "' + b" " * MAX_BODY_BYTES + b'{ projections { name } }"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "over" in response.json()["errors"][0]["message"]


def test_validation_errors_are_shown_not_masked(client: httpx.Client) -> None:
    messages = errors_of(client, "{ projections { nonsense } }")
    assert any("nonsense" in message for message in messages), messages

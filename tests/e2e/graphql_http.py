"""Posting GraphQL over HTTP: raw, must succeed (sync, async, concurrent), or must fail."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import httpx


def post_graphql(
    client: httpx.Client, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    # ASCII JSON, as many clients send it: any string fits, a lone surrogate too (\ud800).
    body = json.dumps({"query": query, "variables": variables or {}})
    return client.post("/graphql", content=body, headers={"content-type": "application/json"})


def data_of_success(response: httpx.Response) -> dict[str, Any]:
    """Assert the answer is HTTP 200 with no GraphQL errors; its `data`."""
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text}"
    body = response.json()
    assert "errors" not in body, f"unexpected GraphQL errors: {body['errors']}"
    data: dict[str, Any] = body["data"]
    return data


def gql(client: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    """Run an operation that must succeed at the GraphQL level; its `data`."""
    return data_of_success(post_graphql(client, query, variables))


async def agql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """`gql` for an async HTTP client: an operation that must succeed; its `data`."""
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    return data_of_success(response)


def send_concurrently(
    base_url: str, query: str, inputs: Sequence[dict[str, Any]], *, stagger_s: float = 0.0
) -> list[dict[str, Any]]:
    """Send `query` once per input, concurrently, each on its own connection; results in order.

    With `stagger_s`, the n-th request leaves n * stagger_s after the first, so that the
    requests overlap the server's work at every stage rather than all arriving first.
    """

    async def send_all() -> list[dict[str, Any]]:
        limits = httpx.Limits(max_connections=len(inputs), max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as http:

            async def send(n: int, payload: dict[str, Any]) -> dict[str, Any]:
                await asyncio.sleep(n * stagger_s)
                data = await agql(http, query, input=payload)
                result: dict[str, Any] = next(iter(data.values()))
                return result

            return list(await asyncio.gather(*(send(n, p) for n, p in enumerate(inputs))))

    return asyncio.run(send_all())


def query_errors(client: httpx.Client, query: str, **variables: Any) -> list[dict[str, Any]]:
    """The GraphQL errors of an operation that must be refused as a GraphQL error: an answer
    (HTTP 200 or 400, never a 5xx) with a non-empty `errors` and no data for the field."""
    response = post_graphql(client, query, variables)
    assert response.status_code in (200, 400), f"HTTP {response.status_code}: {response.text}"
    body = response.json()
    assert body.get("errors"), f"expected GraphQL errors, got {body}"
    data = body.get("data")
    assert data is None or all(value is None for value in data.values()), body
    errors: list[dict[str, Any]] = body["errors"]
    return errors

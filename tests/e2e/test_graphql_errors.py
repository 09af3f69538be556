"""Requests the GraphQL layer rejects before any command runs: top-level errors, no data."""

import httpx
import pytest

from tests.e2e.commands import ADD_PRODUCT, UPDATE_ORDER_STATUS, new_id
from tests.e2e.graphql_http import post_graphql


def graphql_errors(response: httpx.Response) -> list[str]:
    """The top-level error messages of a rejected operation (HTTP 200 or 400 both allowed)."""
    assert response.status_code in (200, 400), f"HTTP {response.status_code}: {response.text}"
    body = response.json()
    assert body.get("data") is None, body
    assert body["errors"], body
    return [error["message"] for error in body["errors"]]


def product_input(**fields: object) -> dict[str, object]:
    return {
        "sku": f"SKU-{new_id()}",
        "name": "Teapot",
        "priceCents": 100,
        "initialStock": 1,
    } | fields


def test_a_string_for_an_int_in_a_literal_is_rejected(client: httpx.Client):
    query = """
        mutation {
          addProduct(input: {sku: "S", name: "N", priceCents: "abc", initialStock: 1}) { ok }
        }
    """

    messages = graphql_errors(post_graphql(client, query))

    assert any("Int cannot represent non-integer value" in m and "abc" in m for m in messages), (
        messages
    )


def test_a_string_for_an_int_in_a_variable_is_rejected(client: httpx.Client):
    messages = graphql_errors(
        post_graphql(client, ADD_PRODUCT, {"input": product_input(priceCents="abc")})
    )

    assert any("$input" in m and "priceCents" in m and "abc" in m for m in messages), messages


def test_an_unknown_input_field_is_rejected(client: httpx.Client):
    messages = graphql_errors(
        post_graphql(client, ADD_PRODUCT, {"input": product_input(colour="red")})
    )

    assert any("unknown field 'colour'" in m for m in messages), messages


def test_a_missing_required_input_field_is_rejected(client: httpx.Client):
    payload = product_input()
    del payload["sku"]

    messages = graphql_errors(post_graphql(client, ADD_PRODUCT, {"input": payload}))

    assert any("sku" in m and "required" in m for m in messages), messages


def test_an_unknown_result_field_is_rejected(client: httpx.Client):
    query = "mutation($input: AddProductInput!) { addProduct(input: $input) { ok colour } }"

    messages = graphql_errors(post_graphql(client, query, {"input": product_input()}))

    assert any("Cannot query field 'colour' on type 'CommandResult'" in m for m in messages), (
        messages
    )


def test_an_unknown_order_status_is_rejected(client: httpx.Client):
    variables = {"input": {"orderId": new_id(), "status": "LOST"}}

    messages = graphql_errors(post_graphql(client, UPDATE_ORDER_STATUS, variables))

    assert any("LOST" in m and "OrderStatus" in m for m in messages), messages


def test_an_unknown_mutation_is_rejected(client: httpx.Client):
    messages = graphql_errors(post_graphql(client, "mutation { deleteEverything { ok } }"))

    assert any("deleteEverything" in m for m in messages), messages


def test_a_rejected_operation_writes_nothing(client: httpx.Client):
    sku = f"SKU-{new_id()}"
    graphql_errors(
        post_graphql(client, ADD_PRODUCT, {"input": product_input(sku=sku, priceCents="abc")})
    )

    response = post_graphql(client, ADD_PRODUCT, {"input": product_input(sku=sku)})

    assert response.json()["data"]["addProduct"]["ok"] is True


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"query": "mutation {', id="truncated"),
        pytest.param(b"not json at all", id="garbage"),
    ],
)
def test_a_malformed_json_body_is_a_client_error(client: httpx.Client, body: bytes):
    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})

    assert 400 <= response.status_code < 500, f"HTTP {response.status_code}: {response.text}"


def test_a_body_without_a_query_is_a_client_error(client: httpx.Client):
    response = client.post("/graphql", json={"variables": {}})

    assert 400 <= response.status_code < 500, f"HTTP {response.status_code}: {response.text}"


def test_the_server_is_still_healthy_after_the_bad_requests(client: httpx.Client):
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b"42",
        b'"{ __typename }"',
        b"[" * 1000 + b"]" * 1000,
        b'{"query": "{ __typename }", "variables": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1001,
        b'{"query": "\xff\xfe"}',
        b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}",
    ],
    ids=["null", "number", "string", "deep list", "deep variables", "not UTF-8", "long int"],
)
def test_a_body_that_is_no_graphql_request_is_a_400_with_a_json_error(
    client: httpx.Client, body: bytes
):
    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["message"].startswith("not a GraphQL request")
    # And the connection goes on serving
    assert post_graphql(client, "{ __typename }").json()["data"] == {"__typename": "Query"}


def test_get_variables_nested_too_deep_are_a_400_with_a_json_error(client: httpx.Client):
    variables = '{"a": ' * 1000 + "1" + "}" * 1000
    response = client.get("/graphql", params={"query": "{ __typename }", "variables": variables})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["message"].startswith("not a GraphQL request")

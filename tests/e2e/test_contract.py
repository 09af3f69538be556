"""The schema served over HTTP keeps the whole contract (schema/contract.graphql, the
project's copy of the team's contract): nothing removed, renamed or retyped; only optional
arguments and input fields added."""

from pathlib import Path

import httpx
from graphql import (
    DangerousChangeType,
    build_client_schema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    get_introspection_query,
)

from tests.e2e.commands import new_id
from tests.e2e.graphql_http import gql

CONTRACT = (Path(__file__).parents[2] / "schema" / "contract.graphql").read_text()


def served_schema(client: httpx.Client):
    return build_client_schema(gql(client, get_introspection_query()))


def test_the_served_schema_does_not_break_the_contract(client: httpx.Client):
    changes = find_breaking_changes(build_schema(CONTRACT), served_schema(client))

    assert [change.description for change in changes] == []


def test_the_served_schema_only_adds_what_the_contract_allows(client: httpx.Client):
    # Optional arguments and input fields may be added; anything else that changes how an
    # existing operation behaves (enum values, defaults) is a change of the contract.
    allowed = {
        DangerousChangeType.OPTIONAL_ARG_ADDED,
        DangerousChangeType.OPTIONAL_INPUT_FIELD_ADDED,
    }

    changes = find_dangerous_changes(build_schema(CONTRACT), served_schema(client))

    assert [change.description for change in changes if change.type not in allowed] == []


def test_wait_for_and_timeout_are_accepted(client: httpx.Client):
    query = """
    mutation($input: AddProductInput!) {
      addProduct(input: $input, waitFor: [PRODUCT_CATALOG, SALES_REPORT], timeoutMs: 200) {
        ok caughtUp
      }
    }
    """
    payload = {"sku": f"SKU-{new_id()}", "name": "Kettle", "priceCents": 1, "initialStock": 1}

    result = gql(client, query, input=payload)

    assert result["addProduct"]["ok"] is True
    assert set(result["addProduct"]["caughtUp"]) <= {"PRODUCT_CATALOG", "SALES_REPORT"}

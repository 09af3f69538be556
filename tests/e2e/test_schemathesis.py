"""Schemathesis (it speaks GraphQL) against the served schema: every query and mutation,
with arguments generated from their types, bounded in examples. Every answer is a GraphQL
answer, never a 500, and no internal message reaches a client."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from schema.app import schema as app_schema
from tests.e2e.processes import Server

INTERNAL = ("Unexpected error", "Traceback", "codec", "sys.set_int_max_str_digits")


EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,  # the same examples each run: a failure here can be replayed
    suppress_health_check=list(HealthCheck),
)


def test_every_generated_operation_gets_a_graphql_answer(server: Server) -> None:
    served = schemathesis.graphql.from_url(f"{server.base_url}/graphql")
    checked = []
    for loaded in served.get_all_operations():
        operation = loaded.ok()

        @EXAMPLES
        @given(case=operation.as_strategy())
        def answers(case: Any) -> None:
            response = case.call(timeout=30)
            assert response.status_code < 500, response.text
            body = response.json()
            assert "data" in body or "errors" in body, body
            for error in body.get("errors") or []:
                assert not any(word in error["message"] for word in INTERNAL), error

        answers()
        checked.append(operation.label)
    graphql = app_schema._schema
    expected = [f"Query.{f}" for f in graphql.query_type.fields]
    expected += [f"Mutation.{f}" for f in graphql.mutation_type.fields]
    assert sorted(checked) == sorted(expected)  # every query and mutation was generated

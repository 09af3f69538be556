"""A request's execution is freed by reference counts, not left to the garbage collector."""

import gc

import pytest

from schema.app import schema

pytestmark = pytest.mark.anyio


async def test_an_executed_operation_leaves_no_cycles_of_graphql_objects():
    await schema.execute("{ __typename }")  # documents parsed and kept: not this test's garbage
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        result = await schema.execute("{ __typename }")
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage if type(o).__module__.startswith("graphql")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert result.data == {"__typename": "Query"}
    assert left == []

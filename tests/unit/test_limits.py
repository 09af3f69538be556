import time

import pytest
from graphql import GraphQLError, get_introspection_query, parse, validate

from projections.queries import BadArgument
from schema.app import schema
from schema.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_FIELDS,
    BodySizeLimit,
    OperationCost,
    is_clients_mistake,
)

pytestmark = pytest.mark.anyio


def test_a_clients_mistakes_are_shown_and_everything_else_is_masked():
    assert is_clients_mistake(GraphQLError("Cannot query field 'x' on type 'Query'."))
    # a scalar refusing a variable's value, before any resolver ran: no path
    assert is_clients_mistake(GraphQLError("not a Position", original_error=ValueError()))
    refused = BadArgument("first must be 1 to 100")
    assert is_clients_mistake(GraphQLError(str(refused), path=["x"], original_error=refused))
    assert is_clients_mistake(GraphQLError("stale", original_error=GraphQLError("stale")))
    codec = UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
    assert not is_clients_mistake(GraphQLError(str(codec), path=["x"], original_error=codec))
    digits = ValueError("Exceeds the limit (4300 digits); use sys.set_int_max_str_digits()")
    assert not is_clients_mistake(GraphQLError(str(digits), path=["x"], original_error=digits))
    assert not is_clients_mistake(GraphQLError("(sqlite3...) ...", original_error=RuntimeError()))
    assert not is_clients_mistake(GraphQLError("'k'", original_error=KeyError("k")))


async def test_a_streamed_body_over_the_limit_is_refused_with_413():
    # Given an app behind the limit that reads the whole body, sent in chunks with no length
    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    chunks = [{"type": "http.request", "body": b"x" * 60, "more_body": True} for _ in range(3)]
    chunks.append({"type": "http.request", "body": b"", "more_body": False})
    sent = []

    async def receive():
        return chunks.pop(0)

    async def send(message):
        sent.append(message)

    # When 180 bytes arrive at a limit of 100
    await BodySizeLimit(app, limit=100)({"type": "http", "headers": []}, receive, send)
    # Then the answer is 413, and the app never answered
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [413]


def cost_errors(query: str) -> list[str]:
    document = parse(query)
    return [e.message for e in validate(schema._schema, document, [OperationCost])]


def test_fragments_spread_many_times_are_measured_once_and_refused():
    # Given fragments that each spread the one below four times, eleven deep (4^11 fields)
    fragments = "fragment L0 on Query { __typename }\n" + "".join(
        f"fragment L{n} on Query {{ ...L{n - 1} ...L{n - 1} ...L{n - 1} ...L{n - 1} }}\n"
        for n in range(1, 12)
    )
    document = parse(fragments + "{ ...L11 }")
    # When the operation is checked, then it is refused at once for its expanded size
    started = time.perf_counter()
    errors = validate(schema._schema, document, [OperationCost])
    assert time.perf_counter() - started < 0.1
    assert [e.message for e in errors] == [
        f"the operation asks for more than {MAX_FIELDS} fields, spreads expanded"
    ]


def test_depth_and_aliases_count_through_fragments():
    nested = "leaf"
    for level in range(MAX_DEPTH + 1):
        nested = f"f{level} {{ {nested} }}"
    assert cost_errors(f"fragment Deep on Query {{ {nested} }} {{ ...Deep }}") == [
        f"the operation exceeds the maximum depth of {MAX_DEPTH}"
    ]
    half = " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES // 2 + 1))
    assert cost_errors(f"fragment A on Query {{ {half} }} {{ ...A ...A }}") == [
        f"the operation has more than {MAX_ALIASES} aliases"
    ]
    assert cost_errors(get_introspection_query(descriptions=True)) == []


async def test_an_unexpected_error_reaches_the_client_masked():
    # Given a context the resolvers cannot use: every resolver fails, not by a client's mistake
    query = '{ order(id: "00000000-0000-4000-8000-000000000001") { id } }'

    result = await schema.execute(query, context_value=object())

    # Then the client reads that something went wrong, not what
    assert [error.message for error in result.errors or []] == ["Unexpected error."]

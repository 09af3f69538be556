import pytest
from graphql import GraphQLError

from schema.limits import BodySizeLimit, is_clients_mistake

pytestmark = pytest.mark.anyio


def test_a_clients_mistakes_are_shown_and_everything_else_is_masked():
    assert is_clients_mistake(GraphQLError("Cannot query field 'x' on type 'Query'."))
    assert is_clients_mistake(GraphQLError("first must be 1 to 100", original_error=ValueError()))
    assert is_clients_mistake(GraphQLError("stale", original_error=GraphQLError("stale")))
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

"""The per-client limit on mutations, in memory and in the real Redis (a key prefix of
this test's own): a burst, then a wait as long as the bucket needs to refill."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from schema.ratelimit import InMemory, InRedis, Limit, Limiter
from tests.conftest import REDIS_URL, redis_namespace

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[Limiter]:
    limit = Limit(rate=20, burst=3)
    if request.param == "memory":
        yield InMemory(limit)
        return
    keys = redis_namespace()
    in_redis = InRedis(limit, REDIS_URL, next(keys))
    yield in_redis
    await in_redis.close()
    next(keys, None)  # its keys removed


async def test_a_client_gets_its_burst_then_waits_for_the_bucket_to_refill(limiter: Limiter):
    assert [await limiter.wait_for("ann") for _ in range(3)] == [0, 0, 0]
    wait = await limiter.wait_for("ann")
    assert 0 < wait <= 1 / 20 + 0.01
    assert await limiter.wait_for("bob") == 0, "another client has a bucket of its own"
    await asyncio.sleep(wait + 0.01)
    assert await limiter.wait_for("ann") == 0


@pytest.mark.parametrize(
    ("text", "limit"),
    [("20/s", Limit(20, 20)), ("600/m", Limit(10, 10)), ("2/s", Limit(2, 10)), ("0", None)],
)
def test_limits_are_written_per_second_minute_or_hour(text: str, limit: Limit | None):
    assert Limit.parse(text) == limit


@pytest.mark.parametrize("text", ["fast", "10/y", "-1/s", "0/s"])
def test_a_limit_in_no_known_form_is_refused_with_the_forms(text: str):
    with pytest.raises(ValueError, match="20/s"):
        Limit.parse(text)

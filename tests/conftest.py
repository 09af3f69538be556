"""Fixtures shared by every layer of tests."""

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

IN_CI = os.environ.get("CI") == "true"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def service_unavailable(service: str, reason: object) -> None:
    """Skip a test whose real service is missing, except in CI, where it must fail."""
    message = f"{service} is unavailable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI must run every test)")
    pytest.skip(message)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def redis_namespace() -> Iterator[str]:
    """A key prefix of its own in the real Redis, its keys removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as error:
        client.close()
        service_unavailable("Redis", error)
    prefix = f"orders-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()

"""Fixtures shared by every layer of tests."""

import os

import pytest

IN_CI = os.environ.get("CI") == "true"


def service_unavailable(service: str, reason: object) -> None:
    """Skip a test whose real service is missing, except in CI, where it must fail."""
    message = f"{service} is unavailable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI must run every test)")
    pytest.skip(message)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

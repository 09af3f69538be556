"""End-to-end fixtures: the real `orders serve` process, reached over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.api import Server
from tests.e2e.processes import environment, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh server on the embedded default with its own SQLite database, per test module."""
    workdir = tmp_path_factory.mktemp("server")
    with running_server(
        workdir, environment(DATABASE_URL=f"sqlite+aiosqlite:///{workdir}/orders.db")
    ) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        yield http

"""End-to-end fixtures: the real `orders serve` process, reached over real HTTP.

Each test module runs twice: on the embedded default (SQLite) and on PostgreSQL, each
with a database of its own.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import redis_namespace, service_unavailable
from tests.e2e.processes import Server, environment, running_server

POSTGRES = "postgres@127.0.0.1:5432"


def a_database(kind: str, folder: Path) -> Iterator[str]:
    """A database of its own with no table yet, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder}/orders.db"
        return
    name = f"orders_e2e_{uuid.uuid4().hex[:12]}"
    created = psql(f'CREATE DATABASE "{name}"')
    if created.returncode != 0:
        service_unavailable("PostgreSQL", created.stderr.strip())
    yield f"postgresql+asyncpg://{POSTGRES}/{name}"
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Each test module runs once on each backend."""
    yield from a_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL database of its own, for what only the distributed mode does."""
    yield from a_database("postgresql", tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from a_database(request.param, tmp_path)


namespace = pytest.fixture(redis_namespace)
module_namespace = pytest.fixture(scope="module")(redis_namespace)


def psql(statement: str) -> subprocess.CompletedProcess[str]:
    host, port = POSTGRES.split("@")[1].split(":")
    command = ["psql", "-h", host, "-p", port, "-U", "postgres", "-d", "postgres", "-qc", statement]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Server]:
    """A fresh server with a database of its own, shared by the tests of one module."""
    workdir = tmp_path_factory.mktemp("server")
    with running_server(workdir, environment(DATABASE_URL=database_url)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        yield http

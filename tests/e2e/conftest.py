"""End-to-end fixtures: the real `orders serve` process, reached over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.api import Server

STARTUP_TIMEOUT_S = 15.0
SHUTDOWN_TIMEOUT_S = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(process: subprocess.Popen[bytes], server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error: object = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the server exited with code {process.returncode} before it was healthy:\n"
                f"{server.log()}"
            )
        try:
            if httpx.get(f"{server.base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError as error:
            last_error = error
        time.sleep(0.1)
    pytest.fail(
        f"GET /health did not answer 200 within {STARTUP_TIMEOUT_S} s "
        f"(last error: {last_error!r}); server output:\n{server.log()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fresh server with its own SQLite database, shared by the tests of one module."""
    workdir = tmp_path_factory.mktemp("server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"READ_DATABASE_URL", "REDIS_URL"}}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir}/orders.db"
    running = Server(base_url=f"http://127.0.0.1:{port}", log_path=workdir / "server.log")
    command = [
        str(Path(sys.executable).parent / "orders"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with running.log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_healthy(process, running)
        yield running
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        yield http

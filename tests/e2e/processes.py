"""Starting and stopping the real `orders` processes the e2e tests talk to, and the
`Server` they reach: its address and what it has printed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

STARTUP_TIMEOUT_S = 15.0
SHUTDOWN_TIMEOUT_S = 10.0
ORDERS = str(Path(sys.executable).parent / "orders")


@dataclass(frozen=True)
class Server:
    """The running server under test: where to reach it, and what it has printed."""

    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def log_problems(server: Server) -> list[str]:
    """The lines of the server's output that tell of an error on its side."""
    markers = ("Traceback", "ERROR", "CRITICAL", "Exception in ASGI", "Task exception")
    return [line for line in server.log().splitlines() if any(m in line for m in markers)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(**overrides: str) -> dict[str, str]:
    """This process's environment without the service's settings, plus `overrides`."""
    settings = {"DATABASE_URL", "READ_DATABASE_URL", "REDIS_URL", "REDIS_NAMESPACE"}
    return {k: v for k, v in os.environ.items() if k not in settings} | overrides


def start(
    arguments: list[str], env: Mapping[str, str], workdir: Path, log_name: str
) -> subprocess.Popen[bytes]:
    with (workdir / log_name).open("ab") as log:
        return subprocess.Popen(
            [ORDERS, *arguments], cwd=workdir, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_server(workdir: Path, env: Mapping[str, str]) -> Iterator[Server]:
    """`orders serve` on a free port, healthy, for the duration of the block."""
    port = free_port()
    server = Server(base_url=f"http://127.0.0.1:{port}", log_path=workdir / "server.log")
    process = start(
        ["serve", "--host", "127.0.0.1", "--port", str(port)], env, workdir, "server.log"
    )
    try:
        wait_until_healthy(process, server)
        yield server
    finally:
        stop(process)


def wait_until_healthy(
    process: subprocess.Popen[bytes], server: Server, path: str = "/health"
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error: object = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the server exited with code {process.returncode} before it was healthy:\n"
                + server.log()
            )
        try:
            if httpx.get(f"{server.base_url}{path}", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError as error:
            last_error = error
        time.sleep(0.1)
    pytest.fail(
        f"GET {path} did not answer 200 within {STARTUP_TIMEOUT_S} s "
        f"(last error: {last_error!r}); server output:\n{server.log()}"
    )

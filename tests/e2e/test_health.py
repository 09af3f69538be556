"""Health as a load balancer sees it: /healthz, and /readyz following a Redis outage, on
the API and on a worker."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REDIS_URL, service_unavailable
from tests.e2e.processes import (
    Server,
    environment,
    free_port,
    running_server,
    start,
    stop,
    wait_until_healthy,
)


def test_a_running_server_is_healthy_and_ready(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


@contextmanager
def own_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A Redis of the test's own on `port`, so that stopping it stops no other test's."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_unavailable("redis-server", "not on PATH")
    assert binary is not None
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True, check=False
            ).stdout.strip()
            != b"PONG"
        ):
            assert time.monotonic() < deadline, "the test's Redis did not start"
            time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def readyz(url: str) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{url}/readyz", timeout=10)
    return response.status_code, response.json()


def eventually(url: str, status: int, within_s: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while True:
        found, body = readyz(url)
        if found == status or time.monotonic() > deadline:
            assert found == status, body
            return body
        time.sleep(0.2)


@contextmanager
def running_worker(workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """`orders worker` with a health port and a metrics port (written to `metrics-port`); the
    base URL of its health answers."""
    port = free_port()
    metrics_port = free_port()
    arguments = ["worker", "--health-port", str(port), "--metrics-port", str(metrics_port)]
    worker = start(arguments, env, workdir, "worker.log")
    workdir.joinpath("metrics-port").write_text(str(metrics_port))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(worker, Server(url, workdir / "worker.log"), "/healthz")
        yield url
    finally:
        stop(worker)


def test_readyz_names_redis_while_it_is_down_and_recovers_after_and_the_worker_has_metrics(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = environment(
        DATABASE_URL=str(tmp_path / "orders.db"),
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        REDIS_NAMESPACE=f"health-{uuid.uuid4().hex[:8]}",
    )
    with (
        own_redis(port) as redis,
        running_server(tmp_path, env) as server,
        running_worker(tmp_path, env) as worker,
    ):
        for url in (server.base_url, worker):
            assert readyz(url) == (200, {"status": "ready"})
        # The worker runs the projections, so its metrics say where they stand
        metrics_port = (tmp_path / "metrics-port").read_text()
        scrape = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        assert 'orders_projection_position{projection="order_details"}' in scrape
        # When Redis stops, both say it is the part that fails
        redis.terminate()
        redis.wait(timeout=10)
        for url in (server.base_url, worker):
            body = eventually(url, 503)
            assert body["status"] == "not ready"
            assert list(body["failing"]) == ["redis"], body
        # And once it is back, both are ready again
        with own_redis(port):
            for url in (server.base_url, worker):
                assert eventually(url, 200) == {"status": "ready"}


def test_a_worker_told_to_stop_exits_0_within_its_grace(
    tmp_path: Path, namespace: str, database_url: str
) -> None:
    env = environment(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, REDIS_NAMESPACE=namespace)
    port = free_port()
    worker = start(["worker", "--health-port", str(port)], env, tmp_path, "worker.log")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(worker, Server(url, tmp_path / "worker.log"), "/healthz")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0, (tmp_path / "worker.log").read_text()
    finally:
        stop(worker)

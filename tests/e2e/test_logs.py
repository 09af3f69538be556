"""Logs as an operator reads them: JSON lines, and one request followed by its id from the
API's command line to the worker's projection batches, with grep."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REDIS_URL
from tests.e2e.commands import REGISTER_CUSTOMER
from tests.e2e.processes import environment, running_server, start, stop


def lines_with(log: Path, text: str) -> list[dict[str, Any]]:
    """The JSON objects of the lines of `log` that mention `text`."""
    return [json.loads(line) for line in log.read_text().splitlines() if text in line]


def test_one_request_is_followed_by_its_id_from_the_api_to_the_worker(
    tmp_path: Path, namespace: str, database_url: str
) -> None:
    env = environment(
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        REDIS_NAMESPACE=namespace,
        LOG_LEVEL="DEBUG",
    )
    request_id = f"abc-{uuid.uuid4().hex[:8]}"
    worker = start(["worker"], env, tmp_path, "worker.log")
    try:
        with running_server(tmp_path, env) as server:
            body = {
                "query": REGISTER_CUSTOMER,
                "variables": {"input": {"name": "Ann", "email": f"{request_id}@example.com"}},
            }
            response = httpx.post(
                f"{server.base_url}/graphql", json=body, headers={"X-Request-ID": request_id}
            )
            assert response.headers["x-request-id"] == request_id
            result = response.json()["data"]["registerCustomer"]
            assert result["ok"] is True
            deadline = time.monotonic() + 15
            while not lines_with(tmp_path / "worker.log", request_id):
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
                time.sleep(0.1)
    finally:
        stop(worker)

    # Every line of both processes is one JSON object
    for log in ("server.log", "worker.log"):
        for line in (tmp_path / log).read_text().splitlines():
            assert isinstance(json.loads(line), dict), line

    # The API's line for the command carries the request's id and the command's
    (api,) = [
        line
        for line in lines_with(tmp_path / "server.log", request_id)
        if line["logger"] == "schema.mutations"
    ]
    assert api["correlation_id"] == request_id
    assert api["command_id"] == result["commandId"]
    assert api["level"] == "DEBUG"

    # And the worker's batches that applied its events name it, with their positions
    applied = lines_with(tmp_path / "worker.log", request_id)
    assert {line["logger"] for line in applied} == {"projections.applier"}
    assert all(request_id in line["correlation_ids"] for line in applied)
    assert any(result["position"] in line["message"] for line in applied), applied


def test_a_request_without_an_id_gets_one_and_a_bad_one_is_replaced(client: httpx.Client):
    plain = client.post("/graphql", json={"query": "{ __typename }"})
    assert len(plain.headers["x-request-id"]) == 32
    forged = client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "a b\tc"}
    )
    assert forged.headers["x-request-id"] != "a b\tc"
    assert len(forged.headers["x-request-id"]) == 32

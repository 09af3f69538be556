"""The README's front door, run as a new user would: `make serve` with its settings, and
every operation of "Try it" as written, against a server of the test's own."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
from graphql import parse, validate

from schema.app import schema
from tests.e2e.graphql_http import post_graphql
from tests.e2e.processes import Server, environment, free_port, running_server, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
OPERATION_START = re.compile(r"^(mutation|query|subscription)\b", re.MULTILINE)


def try_it_operations() -> list[str]:
    """Each operation of the README's "Try it" section, in order, comments removed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)```", section, re.DOTALL)
    text = "\n".join(re.sub(r"#.*", "", block) for block in blocks)
    starts = [match.start() for match in OPERATION_START.finditer(text)]
    return [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def run(client: httpx.Client, operation: str) -> dict[str, Any]:
    body: dict[str, Any] = post_graphql(client, operation).json()
    assert "errors" not in body, f"{operation}\n-> {body['errors']}"
    return body


def test_try_it_runs_as_written_and_again(tmp_path: Path) -> None:
    operations = try_it_operations()
    assert len(operations) >= 10, operations
    for operation in operations:  # subscriptions at least are valid against the schema
        assert validate(schema._schema, parse(operation)) == [], operation
    env = environment(DATABASE_URL=str(tmp_path / "orders.db"))
    with running_server(tmp_path, env) as server, httpx.Client(base_url=server.base_url) as client:
        for attempt in ("first", "again"):
            for operation in operations:
                if operation.startswith("subscription"):
                    continue
                data = run(client, operation)["data"]
                if operation.startswith("mutation"):
                    (result,) = data.values()
                    assert result["ok"] is True, (operation, result)
                    assert result.get("replayed", attempt == "again") is (attempt == "again")
        shown = run(client, '{ order(id: "33333333-3333-4333-8333-333333333333") { status } }')
        assert shown["data"]["order"] == {"status": "CONFIRMED"}


def test_make_serve_takes_host_and_port(tmp_path: Path) -> None:
    port = free_port()
    env = environment(DATABASE_URL=str(tmp_path / "orders.db"), PORT=str(port))
    with (tmp_path / "make.log").open("wb") as log:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "serve", "HOST=127.0.0.1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make and the server it starts stop together
        )
    try:
        wait_until_healthy(make, Server(f"http://127.0.0.1:{port}", tmp_path / "make.log"))
        assert (tmp_path / "orders.db").exists()
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=15)

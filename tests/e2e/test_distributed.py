"""Distributed mode: Redis carries the wake-ups, `orders worker` processes run the projections."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.conftest import REDIS_URL
from tests.e2e.commands import accepted, add_product, create_order, position, register_customer
from tests.e2e.graphql_http import gql
from tests.e2e.processes import environment, running_server, start, stop

FIGURES = """query($customer: ID!, $product: ID!) {
  customer(id: $customer) { orderCount lifetimeValueCents }
  product(id: $product) { reserved available }
}"""


def view_positions(client: httpx.Client) -> dict[str, int]:
    projections = gql(client, "{ projections { name position } }")["projections"]
    return {p["name"]: int(p["position"]) for p in projections}


def wait_for_views(client: httpx.Client, target: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if min(view_positions(client).values()) >= target:
            return True
        time.sleep(0.02)
    return False


def test_worker_processes_project_what_the_api_writes(
    tmp_path: Path, namespace: str, database_url: str
) -> None:
    # A sweep only once a minute: within this test, only wake-ups through Redis move the views.
    env = environment(
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        REDIS_NAMESPACE=namespace,
        SWEEP_EVERY_SECONDS="60",
    )
    with (
        running_server(tmp_path, env) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        # Given an API with no worker: it projects nothing by itself
        customer = accepted(register_customer(client))["aggregateId"]
        product = accepted(add_product(client, initialStock=1000))["aggregateId"]
        time.sleep(0.5)
        assert set(view_positions(client).values()) == {0}
        # When two worker processes start, the views catch up with what was written before
        workers = [start(["worker"], env, tmp_path, f"worker-{n}.log") for n in range(2)]
        try:
            assert wait_for_views(client, position(register_customer(client))), (
                tmp_path / "worker-0.log"
            ).read_text()
            # Then every later write reaches the views through Redis, each order counted once
            last = 0
            for _ in range(20):
                last = position(accepted(create_order(client, customer, (product, 2))))
            assert wait_for_views(client, last)
            summary = gql(client, FIGURES, customer=customer, product=product)
            assert summary["customer"] == {"orderCount": 20, "lifetimeValueCents": 20 * 2 * 2500}
            assert summary["product"] == {"reserved": 40, "available": 960}
        finally:
            for worker in workers:
                stop(worker)

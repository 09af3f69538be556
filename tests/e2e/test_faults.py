"""Faults with real processes: Redis stopped under a steady load of commands in the
distributed mode (a Redis of the test's own, so that the shared one stays up)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.e2e.api import accepted, add_product, create_order, gql, register_customer
from tests.e2e.processes import environment, free_port, running_server
from tests.e2e.test_health import own_redis, running_worker

OUTAGE_S = 10
RATE_PER_S = 20

FIGURES = """query($customer: ID!, $at: Position!) {
  customer(id: $customer, atLeast: $at, timeoutMs: 30000) { orderCount }
}"""


class SteadyLoad:
    """createOrder at a steady rate from a thread, each outcome kept."""

    def __init__(self, base_url: str, customer: str, product: str) -> None:
        self.acknowledged: list[dict[str, object]] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(base_url, customer, product), daemon=True
        )

    def __enter__(self) -> SteadyLoad:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self, base_url: str, customer: str, product: str) -> None:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            while not self._stop.wait(1 / RATE_PER_S):
                try:
                    result = create_order(client, customer, (product, 1))
                except Exception as error:
                    self.failures.append(repr(error))
                    continue
                if result["ok"]:
                    self.acknowledged.append(result)
                else:
                    self.failures.append(str(result["errors"]))


def test_commands_go_on_while_redis_is_down_and_every_view_catches_up_after(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    env = environment(
        DATABASE_URL=database_url,
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        REDIS_NAMESPACE=f"faults-{uuid.uuid4().hex[:8]}",
    )
    with (
        own_redis(port) as redis,
        running_server(tmp_path, env) as server,
        running_worker(tmp_path, env),
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        customer = accepted(register_customer(client))["aggregateId"]
        product = accepted(add_product(client, initialStock=1_000_000))["aggregateId"]
        with SteadyLoad(server.base_url, customer, product) as load:
            time.sleep(2)
            # When Redis stops for a while under the load, then comes back
            redis.terminate()
            redis.wait(timeout=10)
            during = len(load.acknowledged)
            time.sleep(OUTAGE_S)
            assert len(load.acknowledged) - during >= OUTAGE_S * RATE_PER_S // 2, (
                "commands stalled while Redis was down"
            )
            with own_redis(port):
                time.sleep(3)
                # Then commands were accepted throughout, none failed
                load.__exit__()
                assert load.failures == []
                # And the views catch up with every acknowledged order, once each
                last = max(int(str(result["position"])) for result in load.acknowledged)
                figures = gql(client, FIGURES, customer=customer, at=str(last))
                assert figures["customer"]["orderCount"] == len(load.acknowledged)
                positions = gql(client, "{ projections { name position state } }")
                for projection in positions["projections"]:
                    assert projection["state"] == "RUNNING", projection
                    assert int(projection["position"]) >= last, projection

"""Read-your-writes and subscriptions in distributed mode: the API process runs no
projections; an `orders worker` process does, and tells the API through Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REDIS_URL
from tests.e2e.commands import (
    CREATE_ORDER,
    UPDATE_ORDER_STATUS,
    accepted,
    add_product,
    lines,
    new_id,
    position,
    register_customer,
    with_wait_for,
)
from tests.e2e.graphql_http import agql, gql, post_graphql
from tests.e2e.processes import Server, environment, log_problems, running_server, start, stop
from tests.e2e.reads import wait_for_views
from tests.e2e.subscriptions import (
    ALL_VIEWS,
    ORDER_CHANGED,
    SUBPROTOCOLS,
    VIEWS_CAUGHT_UP,
    Subscription,
    all_messages,
    ws_session,
)

pytestmark = pytest.mark.anyio

FAR_AWAY = 2**62
CREATE_ORDER_WAITING = with_wait_for(CREATE_ORDER)
UPDATE_ORDER_STATUS_WAITING = with_wait_for(UPDATE_ORDER_STATUS)


@pytest.fixture(scope="module")
def distributed(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, module_namespace: str
) -> Iterator[tuple[Server, Path]]:
    """An API process and one worker process on one database, talking through Redis."""
    workdir = tmp_path_factory.mktemp("distributed")
    env = environment(
        DATABASE_URL=database_url, REDIS_URL=REDIS_URL, REDIS_NAMESPACE=module_namespace
    )
    with running_server(workdir, env) as server:
        worker = start(["worker"], env, workdir, "worker.log")
        try:
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                ready = position(accepted(register_customer(client)))
                wait_for_views(client, ready, timeout_s=20.0)  # the worker is up and working
            yield server, workdir / "worker.log"
        finally:
            stop(worker)


@pytest.fixture(scope="module")
def api(distributed: tuple[Server, Path]) -> Server:
    return distributed[0]


@pytest.fixture(scope="module")
def http(api: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def shop(http: httpx.Client) -> dict[str, str]:
    customer = accepted(register_customer(http))["aggregateId"]
    product = accepted(add_product(http, initialStock=1_000_000))["aggregateId"]
    return {"customer": customer, "product": product}


@pytest.fixture(params=SUBPROTOCOLS)
def subprotocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def order_input(shop: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "customerId": shop["customer"],
        "items": lines((shop["product"], 1)),
        "shippingAddress": "3 Redis Row",
    } | fields


def head(client: httpx.Client) -> int:
    found = gql(client, "{ projections { headPosition } }")["projections"]
    return max(int(p["headPosition"]) for p in found)


async def test_a_waiting_subscriber_is_told_through_redis(
    api: Server, http: httpx.Client, shop: dict[str, str], subprotocol: str
) -> None:
    target = head(http) + 1
    async with ws_session(api, subprotocol) as session:
        waiting = asyncio.ensure_future(
            all_messages(
                session,
                VIEWS_CAUGHT_UP,
                10.0,
                position=str(target),
                views=list(ALL_VIEWS),
                timeoutMs=15_000,
            )
        )
        await asyncio.sleep(0.5)
        assert not waiting.done()
        async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as client:
            data = await agql(client, CREATE_ORDER, input=order_input(shop))
            acknowledged = time.monotonic()
        assert position(accepted(data["createOrder"])) >= target
        messages = await waiting
        told = time.monotonic()
    assert messages == [
        {"viewsCaughtUp": {"position": str(target), "views": list(ALL_VIEWS), "timedOut": False}}
    ]
    print(
        f"\n[distributed, {subprotocol}] told {(told - acknowledged) * 1000:.1f} ms "
        "after the write's response"
    )


async def test_caught_up_views_answer_at_once_and_far_ones_time_out(
    api: Server, http: httpx.Client, shop: dict[str, str], subprotocol: str
) -> None:
    result = gql(
        http,
        CREATE_ORDER_WAITING,
        input=order_input(shop),
        waitFor=list(ALL_VIEWS),
        timeoutMs=5_000,
    )["createOrder"]
    assert result["ok"] is True and sorted(result["caughtUp"]) == sorted(ALL_VIEWS), result
    async with ws_session(api, subprotocol) as session:
        started = time.monotonic()
        messages = await all_messages(
            session,
            VIEWS_CAUGHT_UP,
            position=result["position"],
            views=["ORDER_DETAILS", "SALES_REPORT"],
        )
        assert time.monotonic() - started < 1.0
        assert messages == [
            {
                "viewsCaughtUp": {
                    "position": result["position"],
                    "views": ["ORDER_DETAILS", "SALES_REPORT"],
                    "timedOut": False,
                }
            }
        ]
        started = time.monotonic()
        messages = await all_messages(
            session,
            VIEWS_CAUGHT_UP,
            position=str(FAR_AWAY),
            views=["ORDER_DETAILS"],
            timeoutMs=300,
        )
        elapsed = time.monotonic() - started
    assert messages == [
        {"viewsCaughtUp": {"position": str(FAR_AWAY), "views": [], "timedOut": True}}
    ]
    assert 0.28 <= elapsed < 2.0, elapsed


def test_wait_for_and_at_least_read_your_writes(http: httpx.Client, shop: dict[str, str]) -> None:
    customer = accepted(register_customer(http))["aggregateId"]
    order = new_id()
    result = gql(
        http,
        CREATE_ORDER_WAITING,
        input=order_input(shop, orderId=order, customerId=customer),
        waitFor=list(ALL_VIEWS),
        timeoutMs=5_000,
    )["createOrder"]
    assert result["ok"] is True and sorted(result["caughtUp"]) == sorted(ALL_VIEWS), result
    at = result["position"]
    response = post_graphql(
        http,
        "query($o: ID!, $c: ID!, $at: Position!) { order(id: $o, atLeast: $at) { id } "
        "customer(id: $c, atLeast: $at) { orderCount } }",
        {"o": order, "c": customer, "at": at},
    )
    body = response.json()
    assert body["data"] == {"order": {"id": order}, "customer": {"orderCount": 1}}, body
    positions = body["extensions"]["viewPositions"]
    assert set(positions) == {"ORDER_DETAILS", "CUSTOMER_SUMMARY"}
    assert all(int(p) >= int(at) for p in positions.values()), positions
    # A later write, read at once with atLeast only: the query waits for the worker.
    second = accepted(
        gql(http, CREATE_ORDER, input=order_input(shop, customerId=customer))["createOrder"]
    )
    data = gql(
        http,
        "query($c: ID!, $at: Position!) { customer(id: $c, atLeast: $at) { orderCount } }",
        c=customer,
        at=second["position"],
    )
    assert data == {"customer": {"orderCount": 2}}


async def test_order_changed_through_redis(
    api: Server, http: httpx.Client, shop: dict[str, str], subprotocol: str
) -> None:
    order_id = new_id()
    async with (
        ws_session(api, subprotocol) as session,
        Subscription(session, ORDER_CHANGED, id=order_id) as messages,
        httpx.AsyncClient(base_url=api.base_url, timeout=30) as client,
    ):
        await messages.nothing_within(0.5)
        accepted(
            (await agql(client, CREATE_ORDER, input=order_input(shop, orderId=order_id)))[
                "createOrder"
            ]
        )
        row = (await messages.next(5.0))["orderChanged"]
        assert (row["id"], row["status"], row["version"]) == (order_id, "PENDING", 1)
        for version, status in enumerate(["CONFIRMED", "SHIPPED", "DELIVERED"], start=2):
            data = await agql(
                client,
                UPDATE_ORDER_STATUS_WAITING,
                input={"orderId": order_id, "status": status},
                waitFor=["ORDER_DETAILS"],
            )
            assert data["updateOrderStatus"]["caughtUp"] == ["ORDER_DETAILS"], data
            row = (await messages.next(5.0))["orderChanged"]
            assert (row["status"], row["version"]) == (status, version)
        await messages.nothing_within(0.5)


def test_the_distributed_logs_are_clean(distributed: tuple[Server, Path]) -> None:
    server, worker_log = distributed
    assert log_problems(server) == [], server.log()
    problems = [
        line
        for line in worker_log.read_text(errors="replace").splitlines()
        if "Traceback" in line or "ERROR" in line
    ]
    assert problems == [], worker_log.read_text(errors="replace")


async def test_with_no_worker_a_subscriber_waits_until_one_starts(
    tmp_path: Path, namespace: str
) -> None:
    """The API alone projects nothing: waitFor answers caughtUp [] at its timeout, and a
    viewsCaughtUp subscriber keeps waiting until a worker starts and catches up."""
    env = environment(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/orders.db",
        REDIS_URL=REDIS_URL,
        REDIS_NAMESPACE=namespace,
    )
    with (
        running_server(tmp_path, env) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        started = time.monotonic()
        result = gql(
            client,
            with_wait_for(
                "mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) "
                "{ ok position caughtUp } }"
            ),
            input={"name": "Nobody Home", "email": f"n-{new_id()}@example.com"},
            waitFor=["CUSTOMER_SUMMARY"],
            timeoutMs=300,
        )["registerCustomer"]
        assert result["ok"] is True and result["caughtUp"] == [], result
        assert 0.28 <= time.monotonic() - started < 2.0
        async with ws_session(server, SUBPROTOCOLS[0]) as session:
            waiting = asyncio.ensure_future(
                all_messages(
                    session,
                    VIEWS_CAUGHT_UP,
                    20.0,
                    position=result["position"],
                    views=list(ALL_VIEWS),
                    timeoutMs=20_000,
                )
            )
            await asyncio.sleep(1.0)
            assert not waiting.done(), "told although no worker runs"
            worker = start(["worker"], env, tmp_path, "worker.log")
            try:
                messages = await waiting
            finally:
                stop(worker)
        assert messages == [
            {
                "viewsCaughtUp": {
                    "position": result["position"],
                    "views": list(ALL_VIEWS),
                    "timedOut": False,
                }
            }
        ]


@pytest.mark.parametrize("history", ["fresh-database", "restarted-on-its-database"])
def test_the_api_hears_the_workers(
    tmp_path: Path, namespace: str, empty_database: str, history: str
) -> None:
    """waitFor in distributed mode, on an API that was started on an empty database, and on
    one restarted on a database that already has its tables.

    (An API process learns where the views are from the workers' notices through Redis, and
    by re-reading the checkpoints now and then. Both are background tasks started with the
    process; they must survive a database whose checkpoint table does not exist yet.)"""
    env = environment(
        DATABASE_URL=empty_database,
        REDIS_URL=REDIS_URL,
        REDIS_NAMESPACE=namespace,
    )
    worker = None
    try:
        if history == "restarted-on-its-database":
            with running_server(tmp_path, env):
                worker = start(["worker"], env, tmp_path, "worker.log")  # creates every table
                time.sleep(1.0)
        with (
            running_server(tmp_path, env) as server,
            httpx.Client(base_url=server.base_url, timeout=30) as client,
        ):
            if worker is None:
                worker = start(["worker"], env, tmp_path, "worker.log")
            document = with_wait_for(
                "mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) "
                "{ ok position caughtUp } }"
            )
            results = [
                gql(
                    client,
                    document,
                    waitFor=["CUSTOMER_SUMMARY"],
                    timeoutMs=3000,
                    input={"name": "Heard", "email": f"h-{new_id()}@example.com"},
                )
                for _ in range(3)
            ]
            answered = [r["registerCustomer"]["caughtUp"] for r in results]
            assert answered == [["CUSTOMER_SUMMARY"]] * 3, (
                f"the API never learnt that CUSTOMER_SUMMARY caught up: {answered}, although "
                f"the views are at {gql(client, '{ projections { name position } }')}"
            )
    finally:
        if worker is not None:
            stop(worker)

"""Many processes, proven together: two `orders serve` and two `orders worker` on one
PostgreSQL and one Redis. Commands go through both APIs at once, a subscriber on one hears
of orders changed through the other, a worker is killed with SIGKILL mid-run, and every
view ends with exactly the rows a rebuild from position 0 gives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from orders.bootstrap import build_projection_engine
from orders.database import create_sync_engine
from orders.settings import Settings
from tests.conftest import REDIS_URL
from tests.e2e.commands import (
    CREATE_ORDER,
    UPDATE_ORDER_STATUS,
    accepted,
    add_product,
    lines,
    new_id,
    register_customer,
)
from tests.e2e.processes import ORDERS, environment, running_server, start, stop
from tests.e2e.reads import get_order, wait_for_views
from tests.e2e.subscriptions import GRAPHQL_TRANSPORT_WS, ORDER_CHANGED, Subscription, ws_session
from tests.views import live_tables

pytestmark = pytest.mark.anyio

ORDERS_PLACED = 12
MESSAGE_TIMEOUT_S = 20


def view_rows(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every rebuildable view's live tables, sorted."""
    settings = Settings(database_url=database_url)
    engine = build_projection_engine(settings)
    views = create_sync_engine(settings.views_url, writes=False)
    rows: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with views.connect() as conn:
            for name, projection in engine.projections.items():
                if not projection.rebuildable:
                    continue
                for table_name, table in live_tables(engine, name).items():
                    found = conn.execute(select(table)).all()
                    rows[f"{name}.{table_name}"] = sorted(tuple(map(repr, row)) for row in found)
    finally:
        views.dispose()
        engine.close()
    return rows


async def send(client: httpx.AsyncClient, mutation: str, **payload: Any) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": mutation, "variables": {"input": payload}}
    )
    body: dict[str, Any] = response.json()
    (result,) = body["data"].values()
    assert result["ok"], result
    return result


async def test_two_apis_and_two_workers_converge_and_tell_every_subscriber(
    tmp_path: Path, postgres_url: str, namespace: str
) -> None:
    env = environment(DATABASE_URL=postgres_url, REDIS_URL=REDIS_URL, REDIS_NAMESPACE=namespace)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    workers = [start(["worker"], env, tmp_path, f"worker-{n}.log") for n in range(2)]
    try:
        with (
            running_server(tmp_path / "a", env) as api_a,
            running_server(tmp_path / "b", env) as api_b,
            httpx.Client(base_url=api_a.base_url, timeout=30) as sync_a,
        ):
            customer = accepted(register_customer(sync_a))["aggregateId"]
            product = accepted(add_product(sync_a, initialStock=10_000))["aggregateId"]
            order_ids = [new_id() for _ in range(ORDERS_PLACED)]
            async with (
                httpx.AsyncClient(base_url=api_a.base_url, timeout=30) as a,
                httpx.AsyncClient(base_url=api_b.base_url, timeout=30) as b,
                ws_session(api_a, GRAPHQL_TRANSPORT_WS) as session,
            ):
                # Orders placed through both APIs at once; half way, a worker is killed
                half = ORDERS_PLACED // 2

                def place(orders: list[str], apis: tuple[Any, Any]) -> Any:
                    """createOrder for each of `orders`, through the APIs in turn, at once."""
                    return asyncio.gather(
                        *(
                            send(
                                apis[n % 2],
                                CREATE_ORDER,
                                orderId=order,
                                customerId=customer,
                                items=lines((product, 1)),
                                shippingAddress="1 Scale St",
                            )
                            for n, order in enumerate(orders)
                        )
                    )

                await place(order_ids[:half], (a, b))
                os.kill(workers[0].pid, signal.SIGKILL)
                placed = await place(order_ids[half:], (b, a))
                wait_for_views(sync_a, max(int(result["position"]) for result in placed))
                # A subscriber on A to every order: each tells the row as it is (version 1)
                watched = [Subscription(session, ORDER_CHANGED, id=order) for order in order_ids]
                first = [await s.next(MESSAGE_TIMEOUT_S) for s in watched]  # each subscribed
                assert [m["orderChanged"]["version"] for m in first] == [1] * ORDERS_PLACED
                # ... then each confirmed through B, and shipped through A
                for api, status in ((b, "CONFIRMED"), (a, "SHIPPED")):
                    await asyncio.gather(
                        *(
                            send(api, UPDATE_ORDER_STATUS, orderId=order, status=status)
                            for order in order_ids
                        )
                    )
                # Then the subscriber on A was told every version of every order, in order,
                # though each change went through B or A and was projected by either worker
                for order, subscription in zip(order_ids, watched, strict=True):
                    seen: list[int] = [1]
                    while len(seen) < 3:
                        try:
                            message = await subscription.next(MESSAGE_TIMEOUT_S)
                        except AssertionError as silent:
                            raise AssertionError(
                                f"order {order}: versions {seen}, then {silent}; the order "
                                f"now: {get_order(sync_a, order)}"
                            ) from None
                        seen.append(message["orderChanged"]["version"])
                    assert seen == [1, 2, 3], f"order {order}: versions {seen}"
                for subscription in watched:
                    await subscription.close()
            last = wait_for_views(sync_a, accepted(register_customer(sync_a))["position"])
            assert last
    finally:
        for worker in workers:
            stop(worker)

    # And every view holds exactly what a rebuild from position 0 writes
    before = view_rows(postgres_url)
    for name in {key.split(".")[0] for key in before}:
        rebuilt = subprocess.run(
            [ORDERS, "projections", "rebuild", name],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rebuilt.returncode == 0, rebuilt.stderr
    assert view_rows(postgres_url) == before

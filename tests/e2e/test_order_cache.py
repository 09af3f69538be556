"""The Redis cache in front of ORDER_DETAILS, with real processes: an API and two workers on
one PostgreSQL and one Redis, and many orders changing status at once.

Two things are checked all the while: whenever the cache has an order, its version is at
least the one the view had committed just before (so nothing the view has moved past is
ever served); and a subscriber told of a version reads that version or a later one.
"""

from __future__ import annotations

import asyncio
import random
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from orders.database import create_sync_engine
from projections.generations import GenerationTables
from projections.queries import ReadModel
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
from tests.e2e.graphql_http import agql
from tests.e2e.processes import environment, running_server, start, stop
from tests.e2e.reads import ORDER, wait_for_views
from tests.e2e.subscriptions import GRAPHQL_TRANSPORT_WS, ORDER_CHANGED, Subscription, ws_session
from workers.order_cache import OrderCache

pytestmark = pytest.mark.anyio

ORDER_COUNT = 16
STATUSES = ("CONFIRMED", "SHIPPED", "DELIVERED")
MESSAGE_TIMEOUT_S = 20


async def send(client: httpx.AsyncClient, mutation: str, **payload: Any) -> dict[str, Any]:
    (result,) = (await agql(client, mutation, input=payload)).values()
    assert result["ok"], result
    return dict(result)


def cache_hits(client: httpx.Client) -> float:
    scrape = client.get("/metrics").text
    found = re.search(r'^orders_order_cache_reads_total\{outcome="hit"\} (\S+)$', scrape, re.M)
    return float(found.group(1)) if found else 0.0


async def test_the_cache_never_serves_an_order_older_than_the_view_or_a_notice(
    tmp_path: Path, postgres_url: str, namespace: str
) -> None:
    env = environment(DATABASE_URL=postgres_url, REDIS_URL=REDIS_URL, REDIS_NAMESPACE=namespace)
    workers = [start(["worker"], env, tmp_path, f"worker-{n}.log") for n in range(2)]
    cache = OrderCache(REDIS_URL, namespace, expire_seconds=60)
    views = create_sync_engine(postgres_url, writes=False)
    view = ReadModel(views, GenerationTables())
    try:
        with (
            running_server(tmp_path, env) as api,
            httpx.Client(base_url=api.base_url, timeout=30) as sync,
        ):
            customer = accepted(register_customer(sync))["aggregateId"]
            product = accepted(add_product(sync, initialStock=10_000))["aggregateId"]
            orders = [new_id() for _ in range(ORDER_COUNT)]
            async with (
                httpx.AsyncClient(base_url=api.base_url, timeout=30) as client,
                ws_session(api, GRAPHQL_TRANSPORT_WS) as session,
            ):
                placed = await asyncio.gather(
                    *(
                        send(
                            client,
                            CREATE_ORDER,
                            orderId=order,
                            customerId=customer,
                            items=lines((product, 1)),
                            shippingAddress="1 Cache St",
                        )
                        for order in orders
                    )
                )
                wait_for_views(sync, max(int(result["position"]) for result in placed))
                changing = True
                checked = {"hits": 0, "misses": 0}

                async def check_cache_against_view() -> None:
                    """Read the view, then the cache: a hit is never older than that view row."""
                    while changing:
                        order = random.choice(orders)
                        in_view = await view.order(order)
                        cached = await cache.order(order, at_least=0)
                        assert in_view is not None
                        if cached is None:
                            checked["misses"] += 1
                            continue
                        checked["hits"] += 1
                        assert cached["version"] >= in_view["version"], (order, cached, in_view)

                async def change(order: str) -> None:
                    for status in STATUSES:
                        await send(client, UPDATE_ORDER_STATUS, orderId=order, status=status)

                async def hear_and_read(order: str, subscription: Subscription) -> None:
                    """Each version told is there, or a later one, when read right after."""
                    told = 0
                    while told < len(STATUSES) + 1:
                        message = await subscription.next(MESSAGE_TIMEOUT_S)
                        told = message["orderChanged"]["version"]
                        read = (await agql(client, ORDER, id=order))["order"]
                        assert read["version"] >= told, (order, told, read)

                watched = [Subscription(session, ORDER_CHANGED, id=order) for order in orders]
                checker = asyncio.ensure_future(check_cache_against_view())
                try:
                    await asyncio.gather(
                        *(change(order) for order in orders),
                        *(hear_and_read(o, s) for o, s in zip(orders, watched, strict=True)),
                    )
                finally:
                    changing = False
                    await checker
                    for subscription in watched:
                        await subscription.close()
            assert checked["hits"] > 0, checked  # the cache was there to be checked
            assert cache_hits(sync) > 0  # and the API read orders from it
    finally:
        for worker in workers:
            stop(worker)
        cache.close()
        await cache.aclose()
        views.dispose()

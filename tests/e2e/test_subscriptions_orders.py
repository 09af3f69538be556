"""orderChanged and projectionProgress over real websockets, on both subprotocols."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import httpx
import pytest

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
from tests.e2e.graphql_http import agql, gql
from tests.e2e.processes import Server
from tests.e2e.reads import get_order
from tests.e2e.subscriptions import (
    ALL_VIEWS,
    ORDER_CHANGED,
    PROJECTION_PROGRESS,
    SUBPROTOCOLS,
    Subscription,
    ws_session,
)

pytestmark = pytest.mark.anyio

CREATE_ORDER_WAITING = with_wait_for(CREATE_ORDER)
UPDATE_ORDER_STATUS_WAITING = with_wait_for(UPDATE_ORDER_STATUS)
LIFECYCLE = ["CONFIRMED", "SHIPPED", "DELIVERED"]
MESSAGE_TIMEOUT_S = 5.0
QUIET_S = 0.7  # how long "no further message" is watched for


@pytest.fixture(scope="module")
def shop(client: httpx.Client) -> dict[str, str]:
    customer = accepted(register_customer(client, name="Grace Hopper"))["aggregateId"]
    product = accepted(add_product(client, initialStock=1_000_000))["aggregateId"]
    return {"customer": customer, "product": product}


@pytest.fixture(params=SUBPROTOCOLS)
def subprotocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def order_input(shop: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "customerId": shop["customer"],
        "items": lines((shop["product"], 2)),
        "shippingAddress": "1 Subscription Street",
    } | fields


def order_changes(session: Any, order_id: str) -> Subscription:
    return Subscription(session, ORDER_CHANGED, id=order_id)


async def advance(http: httpx.AsyncClient, order_id: str, status: str) -> dict[str, Any]:
    """updateOrderStatus, answered once ORDER_DETAILS has it: each change a commit of its own."""
    data = await agql(
        http,
        UPDATE_ORDER_STATUS_WAITING,
        input={"orderId": order_id, "status": status},
        waitFor=["ORDER_DETAILS"],
        timeoutMs=5000,
    )
    result: dict[str, Any] = data["updateOrderStatus"]
    assert result["ok"] is True, result
    assert result["caughtUp"] == ["ORDER_DETAILS"], result
    return result


# --- 4. orderChanged -----------------------------------------------------------------------


async def test_order_changed_starts_with_the_current_row_then_each_change(
    server: Server, client: httpx.Client, shop: dict[str, str], subprotocol: str
) -> None:
    order_id = new_id()
    created = gql(
        client,
        CREATE_ORDER_WAITING,
        input=order_input(shop, orderId=order_id),
        waitFor=["ORDER_DETAILS"],
    )["createOrder"]
    assert created["caughtUp"] == ["ORDER_DETAILS"], created
    current = get_order(client, order_id)
    assert current is not None and current["version"] == 1

    async with (
        ws_session(server, subprotocol) as session,
        order_changes(session, order_id) as messages,
        httpx.AsyncClient(base_url=server.base_url, timeout=30) as http,
    ):
        first = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
        assert first == current, "the first message is the row as the order query shows it"
        for version, status in enumerate(LIFECYCLE, start=2):
            result = await advance(http, order_id, status)
            assert result["version"] == version
            row = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
            assert (row["id"], row["status"], row["version"]) == (order_id, status, version)
            assert row == get_order(client, order_id)
        await messages.nothing_within(QUIET_S)


async def test_order_changed_misses_no_commit_when_changes_come_back_to_back(
    server: Server, shop: dict[str, str], subprotocol: str
) -> None:
    """Each status change is its own projection commit (the next command is sent only once
    ORDER_DETAILS has the previous one), but the client does not wait for the messages in
    between: the contract still promises the row after every commit."""
    async with (
        ws_session(server, subprotocol) as session,
        httpx.AsyncClient(base_url=server.base_url, timeout=30) as http,
    ):
        for _ in range(5):
            order_id = new_id()
            data = await agql(
                http,
                CREATE_ORDER_WAITING,
                input=order_input(shop, orderId=order_id),
                waitFor=["ORDER_DETAILS"],
            )
            assert data["createOrder"]["caughtUp"] == ["ORDER_DETAILS"]
            async with order_changes(session, order_id) as messages:
                first = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
                assert (first["status"], first["version"]) == ("PENDING", 1)
                for status in LIFECYCLE:
                    await advance(http, order_id, status)
                seen: list[tuple[str, int]] = []
                with contextlib.suppress(AssertionError):
                    while not seen or seen[-1][1] < 4:
                        row = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
                        seen.append((row["status"], row["version"]))
                assert seen == [("CONFIRMED", 2), ("SHIPPED", 3), ("DELIVERED", 4)], (
                    f"orderChanged skipped committed changes: {seen}"
                )


LOADED_CONNECTIONS = 4
LOADED_ORDERS = 60  # 15 subscriptions on each connection, under the limit of 20
ROUNDS = 3
BYSTANDERS = 100  # more clients watching other orders (yet to come), 20 per connection


@pytest.mark.slow
async def test_order_changed_misses_no_commit_under_load(
    server: Server, client: httpx.Client
) -> None:
    """The same, for 60 orders at once, each watched by its own subscription (and 100 more
    clients watching orders yet to come): every committed status change must still be told.

    orderChanged answers a notice by re-reading the row as it is *now*; when that read is
    slow (hundreds of ms under this load) and the next change commits meanwhile, the
    intermediate version is never sent. Being timing-dependent, this fails in a part of
    the runs only (a few orders of 180, on one database or the other)."""
    customer = accepted(register_customer(client))["aggregateId"]
    skipped: list[tuple[str, list[tuple[str, int]]]] = []

    async def lifecycle(http: httpx.AsyncClient, session: Any) -> None:
        product = (
            await agql(
                http,
                "mutation($input: AddProductInput!) { addProduct(input: $input) { aggregateId } }",
                input={
                    "sku": f"L-{new_id()}",
                    "name": "Load",
                    "priceCents": 100,
                    "initialStock": 10,
                },
            )
        )["addProduct"]["aggregateId"]
        order_id = new_id()
        data = await agql(
            http,
            CREATE_ORDER_WAITING,
            input={
                "orderId": order_id,
                "customerId": customer,
                "items": lines((product, 1)),
                "shippingAddress": "Load Lane",
            },
            waitFor=["ORDER_DETAILS"],
        )
        assert data["createOrder"]["caughtUp"] == ["ORDER_DETAILS"], data
        async with order_changes(session, order_id) as messages:
            first = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
            assert first["version"] == 1
            for status in LIFECYCLE:
                await advance(http, order_id, status)  # each its own commit, confirmed
            seen: list[tuple[str, int]] = []
            with contextlib.suppress(AssertionError):
                while not seen or seen[-1][1] < 4:
                    row = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
                    seen.append((row["status"], row["version"]))
            if seen != [("CONFIRMED", 2), ("SHIPPED", 3), ("DELIVERED", 4)]:
                skipped.append((order_id, seen))

    limits = httpx.Limits(max_connections=LOADED_ORDERS)
    async with (
        contextlib.AsyncExitStack() as stack,
        httpx.AsyncClient(base_url=server.base_url, timeout=30, limits=limits) as http,
    ):
        sessions = [
            await stack.enter_async_context(ws_session(server, SUBPROTOCOLS[n % 2]))
            for n in range(LOADED_CONNECTIONS)
        ]
        for n in range(BYSTANDERS):
            if n % 20 == 0:
                bystanding = await stack.enter_async_context(
                    ws_session(server, SUBPROTOCOLS[n // 20 % 2])
                )
            await stack.enter_async_context(order_changes(bystanding, new_id()))
        for _ in range(ROUNDS):
            await asyncio.wait_for(
                asyncio.gather(
                    *(
                        lifecycle(http, sessions[n % LOADED_CONNECTIONS])
                        for n in range(LOADED_ORDERS)
                    )
                ),
                60,
            )
    assert not skipped, (
        f"{len(skipped)} of {ROUNDS * LOADED_ORDERS} orders were not told every committed "
        f"change (status, version seen after the first message): {skipped[:5]}"
    )


async def test_order_changed_for_an_order_yet_to_come_waits_for_it(
    server: Server, shop: dict[str, str], subprotocol: str
) -> None:
    order_id = new_id()
    async with (
        ws_session(server, subprotocol) as session,
        order_changes(session, order_id.upper()) as messages,  # any spelling of the UUID
        httpx.AsyncClient(base_url=server.base_url, timeout=30) as http,
    ):
        await messages.nothing_within(QUIET_S)  # no row, no message
        data = await agql(http, CREATE_ORDER, input=order_input(shop, orderId=order_id))
        accepted(data["createOrder"])
        row = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
        assert (row["id"], row["status"], row["version"]) == (order_id, "PENDING", 1)
        assert row["customerName"] == "Grace Hopper"
        assert row["items"][0]["quantity"] == 2
        await messages.nothing_within(QUIET_S)
        data = await agql(
            http,
            "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { ok version } }",
            input={"orderId": order_id, "reason": "test over"},
        )
        assert data["cancelOrder"] == {"ok": True, "version": 2}
        row = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
        assert (row["status"], row["version"], row["cancelReason"]) == (
            "CANCELLED",
            2,
            "test over",
        )


async def test_a_subscriber_after_its_own_write_still_sees_it(
    server: Server, shop: dict[str, str], subprotocol: str
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        data = await agql(http, CREATE_ORDER, input=order_input(shop))  # no waitFor
    order_id = accepted(data["createOrder"])["aggregateId"]
    async with (
        ws_session(server, subprotocol) as session,
        order_changes(session, order_id) as messages,
    ):
        row = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
        assert (row["id"], row["version"]) == (order_id, 1)
        await messages.nothing_within(QUIET_S)


async def test_many_watchers_of_one_order_each_get_every_change(
    server: Server, client: httpx.Client, shop: dict[str, str]
) -> None:
    created = create_order_now(client, shop)
    assert created["ok"] is True and created["caughtUp"] == ["ORDER_DETAILS"], created
    order_id = created["aggregateId"]
    watchers = 10
    async with contextlib.AsyncExitStack() as stack:
        streams = []
        for n in range(watchers):
            session = await stack.enter_async_context(ws_session(server, SUBPROTOCOLS[n % 2]))
            streams.append(await stack.enter_async_context(order_changes(session, order_id)))
        for messages in streams:
            first = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
            assert first["version"] == 1
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            for version, status in enumerate(LIFECYCLE, start=2):
                await advance(http, order_id, status)
                for messages in streams:
                    row = (await messages.next(MESSAGE_TIMEOUT_S))["orderChanged"]
                    assert (row["status"], row["version"]) == (status, version)


def create_order_now(client: httpx.Client, shop: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = gql(
        client, CREATE_ORDER_WAITING, input=order_input(shop), waitFor=["ORDER_DETAILS"]
    )["createOrder"]
    return result


# --- 5. projectionProgress -----------------------------------------------------------------

STATES = {"RUNNING", "CATCHING_UP", "FAILED", "PAUSED", "REBUILDING"}


async def test_projection_progress_reports_each_view_advancing_past_a_write(
    server: Server, client: httpx.Client, shop: dict[str, str], subprotocol: str
) -> None:
    async with (
        ws_session(server, subprotocol) as session,
        Subscription(session, PROJECTION_PROGRESS) as messages,
        httpx.AsyncClient(base_url=server.base_url, timeout=30) as http,
    ):
        latest: dict[str, dict[str, Any]] = {}

        async def read_until(done: Any, timeout_s: float) -> None:
            deadline = time.monotonic() + timeout_s
            while not done():
                left = deadline - time.monotonic()
                assert left > 0, f"projectionProgress stopped short: {latest}"
                update = (await messages.next(left))["projectionProgress"]
                assert update["state"] in STATES, update
                assert int(update["position"]) <= int(update["headPosition"]), update
                assert update["lag"] == int(update["headPosition"]) - int(update["position"])
                if update["name"] in latest:  # a projection never goes back
                    assert int(update["position"]) >= int(latest[update["name"]]["position"])
                latest[update["name"]] = update

        def every_view_reported() -> bool:
            return {u["view"] for u in latest.values()} >= set(ALL_VIEWS)

        # First, where every projection is now.
        await read_until(every_view_reported, MESSAGE_TIMEOUT_S)
        before = {name: int(u["position"]) for name, u in latest.items()}

        data = await agql(http, CREATE_ORDER, input=order_input(shop))
        written = position(accepted(data["createOrder"]))
        assert all(p < written for p in before.values())

        def every_view_past_the_write() -> bool:
            views = {u["view"] for u in latest.values()}
            return views >= set(ALL_VIEWS) and all(
                int(u["position"]) >= written and u["state"] == "RUNNING" for u in latest.values()
            )

        await read_until(every_view_past_the_write, 10.0)
        for update in latest.values():
            assert update["name"] and update["error"] is None, update
        names = {u["name"] for u in latest.values() if u["view"] == "ORDER_DETAILS"}
        assert names == {"order_details"}
        # Once everything is at the head and nothing is written, nothing more is said.
        await messages.nothing_within(1.0)

"""Part `lag`: from a createOrder's HTTP acknowledgement to every view having it, told
through a viewsCaughtUp subscription, under a steady load on the real server.

Twice: embedded (the API process runs the projections) and distributed (Redis, one
`orders worker` process). Each deployment takes --lag-rate orders a second for
--lag-seconds, after a short warm-up; its p50, p99 and max are the medians of those over
--runs consecutive windows of the load. The API process's RSS is sampled all along: its
peak, and its growth from the first third of the load to the last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets import Subprotocol

from benchmarks.rebuild import REDIS_URL, delete_namespace
from benchmarks.report import Row, row
from schema.limits import MAX_SUBSCRIPTIONS_PER_CONNECTION

PART = "lag"
VIEWS = (
    "ORDER_DETAILS",
    "CUSTOMER_ORDERS",
    "ORDER_SEARCH",
    "PRODUCT_CATALOG",
    "CUSTOMER_SUMMARY",
    "SALES_REPORT",
)
CUSTOMERS, PRODUCTS = 100, 20
WARM_UP = 2.0  # seconds of load before measuring, discarded
RSS_EVERY = 0.5  # seconds between samples of the API's RSS
TIMEOUT_MS = 10_000  # viewsCaughtUp's own timeout

RESULT = "{ ok position errors { code message } }"
REGISTER_CUSTOMER = (
    f"mutation($input: RegisterCustomerInput!) {{ registerCustomer(input: $input) {RESULT} }}"
)
ADD_PRODUCT = f"mutation($input: AddProductInput!) {{ addProduct(input: $input) {RESULT} }}"
CREATE_ORDER = f"mutation($input: CreateOrderInput!) {{ createOrder(input: $input) {RESULT} }}"
VIEWS_CAUGHT_UP = """
subscription($position: Position!, $views: [View!]!, $timeoutMs: Int) {
  viewsCaughtUp(position: $position, views: $views, timeoutMs: $timeoutMs) {
    position views timedOut
  }
}
"""


def run(options: argparse.Namespace) -> list[Row]:
    """Latency rows and memory rows, for the embedded and the distributed deployment."""
    return [*measure_mode("embedded", options), *measure_mode("distributed", options)]


@dataclass
class Load:
    """A steady load: per order in the order sent, ms from sending to acknowledgement and
    from acknowledgement to viewsCaughtUp (None: timed out); and its length in seconds,
    from the first order sent to the last acknowledged."""

    acks: list[float]
    lags: list[float | None]
    seconds: float

    @property
    def latencies(self) -> list[float]:
        return [ms for ms in self.lags if ms is not None]

    @property
    def timeouts(self) -> int:
        return len(self.lags) - len(self.latencies)

    @property
    def rate(self) -> float:
        """Orders acknowledged per second."""
        return len(self.acks) / self.seconds

    def windows(self, count: int) -> list[Load]:
        """The load cut into `count` consecutive windows of as many orders each."""
        size = max(len(self.acks) // count, 1)
        return [
            Load(self.acks[i : i + size], self.lags[i : i + size], self.seconds / count)
            for i in range(0, size * count, size)
        ]


def quantile(values: list[float], q: float) -> float:
    """The q-quantile of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median_over(windows: list[Load], figure: Callable[[Load], float]) -> float:
    """The median of a figure over the windows that have any latency."""
    return statistics.median(figure(w) for w in windows if w.latencies)


def measure_mode(mode: str, options: argparse.Namespace) -> list[Row]:
    """Load the deployment steadily for --lag-seconds; figures are medians over --runs
    consecutive windows of that load."""
    print(
        f"[{PART}] {mode}: {options.lag_rate:g} createOrder/s for {options.lag_seconds:g} s,"
        f" figures the medians of {options.runs} windows",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-lag-{mode}-") as name,
        deployment(mode, Path(name)) as server,
    ):
        load, rss = asyncio.run(measure(server, options))
    windows = load.windows(options.runs)
    for window in windows:
        print(f"  {summary(window)}", flush=True)
    third = max(len(rss) // 3, 1)
    what = f"{mode}: ack → viewsCaughtUp(all 6 views), {options.lag_rate:g} createOrder/s"
    extra: dict[str, Any] = {
        "commands": len(load.acks),
        "timeouts": load.timeouts,
        "ack_p50_ms": quantile(load.acks, 0.5),
        "ack_p99_ms": quantile(load.acks, 0.99),
        "achieved_rate": load.rate,
    }
    return [
        row(
            PART,
            f"{what}, p50",
            "ms",
            median_over(windows, lambda w: quantile(w.latencies, 0.5)),
            target="≤5 ms" if mode == "embedded" else "",
            **extra,
        ),
        row(
            PART,
            f"{what}, p99",
            "ms",
            median_over(windows, lambda w: quantile(w.latencies, 0.99)),
            target="≤25 ms" if mode == "embedded" else "≤50 ms",
            **extra,
        ),
        row(PART, f"{what}, max", "ms", median_over(windows, lambda w: max(w.latencies)), **extra),
        row(PART, f"{mode}: API process peak RSS", "MB", max(rss) / 1024, samples=len(rss)),
        row(
            PART,
            f"{mode}: API RSS growth under that load, last third's max vs first third's",
            "%",
            (max(rss[-third:]) / max(rss[:third]) - 1) * 100,
            target="≤10%",
            samples=len(rss),
        ),
    ]


def summary(load: Load) -> str:
    """One line on a load or a window of it."""
    if not load.latencies:
        return f"every viewsCaughtUp timed out ({load.timeouts})"
    return (
        f"p50 {quantile(load.latencies, 0.5):.1f} ms, p99 {quantile(load.latencies, 0.99):.1f}"
        f" ms, {load.timeouts} timeouts; acknowledged: p50 {quantile(load.acks, 0.5):.1f} ms,"
        f" {load.rate:.0f}/s"
    )


async def measure(server: Server, options: argparse.Namespace) -> tuple[Load, list[int]]:
    """The load on a warmed-up server, and the API's RSS in kB every RSS_EVERY seconds."""
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
        contextlib.AsyncExitStack() as stack,
    ):
        subscriber = Subscribers(server.url.replace("http", "ws", 1) + "/graphql", stack)
        shop = await open_shop(http)
        ready = await subscriber.caught_up(shop.position, timeout_ms=60_000)
        if ready["timedOut"]:
            raise RuntimeError(f"the views did not reach {shop.position} within 60 s")
        await steady_load(http, subscriber, shop, options.lag_rate, WARM_UP)
        rss: list[int] = []
        sampling = asyncio.create_task(sample_rss(server.api_pid, rss))
        # This client's own garbage collections (70-80 ms walks of its 150,000 objects, every
        # 20-25 s) would be timed as the server's lag: none while it measures.
        gc.disable()
        try:
            load = await steady_load(http, subscriber, shop, options.lag_rate, options.lag_seconds)
        finally:
            gc.enable()
            sampling.cancel()
    if not load.latencies:
        raise RuntimeError(f"every viewsCaughtUp timed out after {TIMEOUT_MS} ms")
    return load, rss


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Shop:
    """The customers and products orders are placed with, and the last position written."""

    customers: list[str]
    products: list[str]
    position: str = "0"


async def graphql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST one GraphQL request; its data, or an error for its errors."""
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    data: dict[str, Any] = body["data"]
    return data


def accepted(data: dict[str, Any]) -> dict[str, Any]:
    """The one CommandResult in a mutation's data, which must be ok."""
    (result,) = data.values()
    if not result["ok"]:
        raise RuntimeError(f"command refused: {result['errors']}")
    return dict(result)


async def open_shop(http: httpx.AsyncClient) -> Shop:
    """Register the customers and add the products over HTTP."""
    shop = Shop([str(uuid.uuid4()) for _ in range(CUSTOMERS)], [])
    for customer_id in shop.customers:
        customer = {"customerId": customer_id, "name": "Bench", "email": f"{customer_id}@b.co"}
        accepted(await graphql(http, REGISTER_CUSTOMER, input=customer))
    for n in range(PRODUCTS):
        product_id = str(uuid.uuid4())
        product = {
            "productId": product_id,
            "sku": product_id,
            "name": f"Product {n}",
            "priceCents": 100 + n,
            "initialStock": 1_000_000,
        }
        shop.position = accepted(await graphql(http, ADD_PRODUCT, input=product))["position"]
        shop.products.append(product_id)
    return shop


async def steady_load(
    http: httpx.AsyncClient, subscriber: Subscribers, shop: Shop, rate: float, seconds: float
) -> Load:
    """Send createOrder at `rate` per second for `seconds`, each on its own schedule."""
    started = time.perf_counter()
    orders = []
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
        orders.append(asyncio.create_task(one_order(http, subscriber, shop)))
    outcomes = await asyncio.gather(*orders)
    return Load(
        acks=[ack for _, ack, _ in outcomes],
        lags=[lag for _, _, lag in outcomes],
        seconds=max(acknowledged for acknowledged, _, _ in outcomes) - started,
    )


async def one_order(
    http: httpx.AsyncClient, subscriber: Subscribers, shop: Shop
) -> tuple[float, float, float | None]:
    """One order: when it was acknowledged, ms from sending to that, and ms from that to all
    six views having it (None on a timeout)."""
    sent = time.perf_counter()
    order = {
        "customerId": random.choice(shop.customers),
        "items": [{"productId": random.choice(shop.products), "quantity": 1}],
        "shippingAddress": "1 Bench Street",
    }
    position = accepted(await graphql(http, CREATE_ORDER, input=order))["position"]
    acknowledged = time.perf_counter()
    caught_up = await subscriber.caught_up(position, timeout_ms=TIMEOUT_MS)
    lag = None if caught_up["timedOut"] else (caught_up["told"] - acknowledged) * 1000
    return acknowledged, (acknowledged - sent) * 1000, lag


class Subscriber:
    """One long-lived graphql-transport-ws connection carrying many viewsCaughtUp."""

    def __init__(self, connection: websockets.ClientConnection) -> None:
        self._socket = connection
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.active: set[str] = set()  # subscribed, and not yet completed by the server
        self._reading = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, url: str, stack: contextlib.AsyncExitStack) -> Subscriber:
        """Connect and initialise; `stack` closes the connection."""
        connection = await stack.enter_async_context(
            websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")])
        )
        await connection.send(json.dumps({"type": "connection_init"}))
        ack = json.loads(await connection.recv())
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"no connection_ack: {ack}")
        subscriber = cls(connection)
        stack.callback(subscriber._reading.cancel)
        return subscriber

    async def caught_up(self, position: str, *, timeout_ms: int) -> dict[str, Any]:
        """viewsCaughtUp for all six views, with "told": when its message arrived."""
        key = str(next(self._ids))
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[key] = answer
        self.active.add(key)
        variables = {"position": position, "views": list(VIEWS), "timeoutMs": timeout_ms}
        payload = {"query": VIEWS_CAUGHT_UP, "variables": variables}
        await self._socket.send(json.dumps({"id": key, "type": "subscribe", "payload": payload}))
        return await answer

    async def _read(self) -> None:
        """Hand each subscription's first message to its waiter; answer pings. Once the
        connection has closed, every waiter fails."""
        try:
            await self._dispatch()
        finally:
            for waiter in self._waiting.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("the websocket closed"))

    async def _dispatch(self) -> None:
        """Read messages until the connection closes."""
        async for raw in self._socket:
            told = time.perf_counter()
            message = json.loads(raw)
            kind, key = message.get("type"), message.get("id", "")
            if kind == "ping":
                await self._socket.send(json.dumps({"type": "pong"}))
            if kind in ("complete", "error"):
                self.active.discard(key)
            waiter = self._waiting.pop(key, None)
            if waiter is None or waiter.done():
                continue
            if kind == "next":
                waiter.set_result(message["payload"]["data"]["viewsCaughtUp"] | {"told": told})
            else:
                waiter.set_exception(RuntimeError(f"subscription {kind}: {message}"))


class Subscribers:
    """As many connections as the server's limit of subscriptions per connection needs."""

    def __init__(self, url: str, stack: contextlib.AsyncExitStack) -> None:
        self._url = url
        self._stack = stack
        self._connections: list[Subscriber] = []
        self._opening = asyncio.Lock()

    async def caught_up(self, position: str, *, timeout_ms: int) -> dict[str, Any]:
        """viewsCaughtUp on a connection with a subscription to spare."""
        return await (await self._free()).caught_up(position, timeout_ms=timeout_ms)

    async def _free(self) -> Subscriber:
        """A connection below the limit, opened if none is."""
        async with self._opening:
            for subscriber in self._connections:
                if len(subscriber.active) < MAX_SUBSCRIPTIONS_PER_CONNECTION:
                    return subscriber
            self._connections.append(await Subscriber.connect(self._url, self._stack))
            return self._connections[-1]


async def sample_rss(pid: int, samples: list[int]) -> None:
    """Append the process's VmRSS in kB every RSS_EVERY seconds until cancelled."""
    status = Path(f"/proc/{pid}/status")
    while True:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                samples.append(int(line.split()[1]))
        await asyncio.sleep(RSS_EVERY)


# --- the processes ----------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    api_pid: int


@contextlib.contextmanager
def deployment(mode: str, folder: Path) -> Iterator[Server]:
    """`orders serve` on a fresh SQLite file, plus an `orders worker` when distributed."""
    namespace = f"bench-{uuid.uuid4().hex[:12]}"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "READ_DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{folder}/orders.db"
    if mode == "distributed":
        env |= {"REDIS_URL": REDIS_URL, "REDIS_NAMESPACE": namespace}
    port = free_port()
    processes = [start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, folder)]
    try:
        if mode == "distributed":
            processes.append(start(["worker"], env, folder))
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, processes, folder)
        yield Server(url, processes[0].pid)
    finally:
        for process in processes:
            stop(process)
        if mode == "distributed":
            delete_namespace(REDIS_URL, namespace)


def start(arguments: list[str], env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    """Start `orders ARGUMENTS` in `folder`, its output going to a log file there."""
    orders = Path(sys.executable).parent / "orders"
    log = (folder / f"{arguments[0]}.log").open("wb")
    return subprocess.Popen(
        [str(orders), *arguments], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not gone within ten seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(url: str, processes: list[subprocess.Popen[bytes]], folder: Path) -> None:
    """Wait (60 s at most) until the server answers a query; fail early if a process dies."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            logs = "\n".join(log.read_text()[-2000:] for log in folder.glob("*.log"))
            raise RuntimeError(f"a server process exited:\n{logs}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}).is_success:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within 60 s")


def free_port() -> int:
    """A TCP port nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

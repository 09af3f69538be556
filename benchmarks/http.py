"""The HTTP benchmark: our server against the baseline CRUD app, under wrk, side by side.

Both servers start as their own processes on fresh databases, are seeded with the same
customers, products and orders over HTTP, answer a spot check of every request kind, and
then take turns under `wrk -t1 -c32 --latency` for each path, `runs` times. Each path gives
one row: median requests/s, p50 and p99 of each server. A run with more than 1% socket
errors, HTTP errors or wrong bodies fails; a row whose runs of a server all failed has NaN
for that server, and a row with any failed run says why in its "note".

    python -m benchmarks.http [--orders 20000] [--runs 3] [--duration 8] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "benchmarks" / "wrk"
ORDERS_CLI = Path(sys.executable).parent / "orders"

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0
CATCH_UP_TIMEOUT_S = 600.0
SEED_CONCURRENCY = 32
SEED_BATCH = 10  # mutations per seeding request (aliased), so the client keeps up
INITIAL_STOCK = 1_000_000  # the most AddProduct accepts; far more than seeding and runs take
MAX_ERROR_SHARE = 0.01
RESULT_MARK = "BENCH-RESULT "
SERVICE_SETTINGS = ("DATABASE_URL", "READ_DATABASE_URL", "REDIS_URL", "REDIS_NAMESPACE")

ORDER_FIELDS = (
    "id customerId customerName customerEmail status"
    " items { productId productName unitPriceCents quantity lineTotalCents }"
    " itemCount totalCents shippingAddress cancelReason createdAt updatedAt version"
)
RESULT_FIELDS = "ok commandId aggregateId version position errors { code message field }"

# The query texts both servers are sent, by the Lua scripts and by the checks.
QUERIES = {
    "typename": "{ __typename }",
    "order": f"query Order($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}",
    "customer_orders": (
        "query CustomerOrders($customerId: ID!) {"
        f" customerOrders(customerId: $customerId, first: 20) {{ nodes {{ {ORDER_FIELDS} }}"
        " pageInfo { hasNextPage endCursor } } }"
    ),
    "create_order": (
        "mutation CreateOrder($input: CreateOrderInput!) {"
        f" createOrder(input: $input) {{ {RESULT_FIELDS} }} }}"
    ),
    "projections": "{ projections { name lag } }",
}

T = TypeVar("T")


class BenchmarkError(RuntimeError):
    """The benchmark could not go on: a server failed to start, seed or answer correctly."""


@dataclass(frozen=True)
class PlannedOrder:
    order_id: str
    customer_id: str
    lines: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Seed:
    """The data both servers get: the same ids, names and orders, from random.Random(42)."""

    customers: list[str]
    products: list[str]
    orders: list[PlannedOrder]

    @classmethod
    def plan(cls, customers: int, products: int, orders: int) -> Seed:
        """`customers` customers, `products` products and `orders` orders of 1-4 lines."""
        rng = random.Random(42)

        def new_id() -> str:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))

        customer_ids = [new_id() for _ in range(customers)]
        product_ids = [new_id() for _ in range(products)]
        planned = [
            PlannedOrder(
                order_id=new_id(),
                customer_id=rng.choice(customer_ids),
                lines=tuple(
                    (product_id, rng.randint(1, 3))
                    for product_id in rng.sample(product_ids, rng.randint(1, 4))
                ),
            )
            for _ in range(orders)
        ]
        return cls(customer_ids, product_ids, planned)

    @property
    def buyers(self) -> list[str]:
        """The customers with at least one seeded order, in the order first seen."""
        return list(dict.fromkeys(order.customer_id for order in self.orders))


@dataclass(frozen=True)
class Scenario:
    metric: str
    script: str
    arguments: tuple[str, ...] = ()
    writes: bool = False
    target: str = ""  # ours / baseline, in report.verdict's terms
    items: str = ""  # which of the seed's lists the script picks from (reads)


SCENARIOS = (
    Scenario("{ __typename }", "typename.lua", target="≥1x"),
    Scenario("order(id)", "order.lua", target="≥2.5x", items="orders"),
    Scenario("customerOrders(first: 20)", "customer_orders.lua", target="≥4x", items="buyers"),
    Scenario("createOrder, 1 line", "create_order.lua", ("1",), writes=True, target="≥1x"),
    Scenario("createOrder, 1-4 lines", "create_order.lua", ("4",), writes=True, target="≥1x"),
)
WRITE_P99_TARGET = "≤100ms"
# A sweep's length: every item once at the rate of the server's first run, with a margin
# (a server answers faster as it keeps answers); at least this rate where that run failed.
SWEEP_MARGIN, SWEEP_RATE = 1.25, 700


@dataclass(frozen=True)
class Measurement:
    """One wrk run, as its done() callback reported it."""

    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    http_errors: int
    bad_bodies: int

    @property
    def failure(self) -> str | None:
        """Why this run does not count, or None when it does."""
        if self.requests == 0:
            return "no request completed"
        wrong = self.socket_errors + self.http_errors + self.bad_bodies
        if wrong > MAX_ERROR_SHARE * self.requests:
            return (
                f"{wrong:,} of {self.requests:,} requests failed ({self.socket_errors} socket,"
                f" {self.http_errors} HTTP >= 400, {self.bad_bodies} wrong bodies)"
            )
        return None


def parse_wrk_output(output: str) -> Measurement:
    """The measurement in wrk's output: the BENCH-RESULT line of benchmarks/wrk/common.lua."""
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line.removeprefix(RESULT_MARK))
            return Measurement(
                requests=result["requests"],
                requests_per_s=result["requests_per_s"],
                p50_ms=result["p50_ms"],
                p99_ms=result["p99_ms"],
                socket_errors=sum(result[k] for k in ("connect", "read", "write", "timeout")),
                http_errors=result["status"],
                bad_bodies=result["bad_bodies"],
            )
    raise ValueError(f"no {RESULT_MARK.strip()} line in wrk's output:\n{output}")


def lua_string(text: str) -> str:
    """`text` as a Lua long-bracket string literal, whatever it contains."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def lua_data(seed: Seed) -> str:
    """The Lua chunk the wrk scripts load: seeded ids, one a line, and JSON query strings."""
    lists = {
        "customers": seed.customers,
        "buyers": seed.buyers,
        "products": seed.products,
        "orders": [order.order_id for order in seed.orders],
    }
    fields = [f"  {name} = {lua_string(chr(10).join(ids))}," for name, ids in lists.items()]
    queries = [f"    {name} = {lua_string(json.dumps(q))}," for name, q in QUERIES.items()]
    return "\n".join(["return {", *fields, "  queries = {", *queries, "  },", "}", ""])


@dataclass(frozen=True)
class Options:
    """This part's options; `run` takes them from the caller's argparse namespace."""

    orders: int = 20_000
    customers: int = 1_000
    products: int = 200
    runs: int = 3
    duration: int = 8  # seconds, whole: wrk takes no fractions
    connections: int = 32

    @classmethod
    def of(cls, namespace: argparse.Namespace) -> Options:
        """The options the namespace has (rounded to whole numbers), defaults for the rest."""
        given = {
            field.name: max(1, round(getattr(namespace, field.name)))
            for field in fields(cls)
            if getattr(namespace, field.name, None) is not None
        }
        options = cls(**given)
        if options.products < 4:
            raise BenchmarkError("orders of up to 4 lines need at least 4 products")
        return options


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    has_views: bool  # ours: reads come from projections, which must catch up first

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's output, for error messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_ours(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """`orders serve` on a fresh SQLite database in `folder`."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{folder}/orders.db"
    command = [str(ORDERS_CLI), "serve", "--host", "127.0.0.1", "--port", str(port)]
    return spawn(command, folder, env)


def start_baseline(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """The baseline app on a fresh SQLite database in `folder`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    database = folder / "baseline.db"
    command = [sys.executable, "-m", "benchmarks.baseline", "--port", str(port)]
    return spawn([*command, "--database", str(database)], folder, env)


def spawn(command: list[str], folder: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A server process in `folder`, its output in folder/server.log."""
    with (folder / "server.log").open("wb") as log:
        return subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=log)


@contextmanager
def serving(
    name: str, start: Callable[[Path, int], subprocess.Popen[bytes]], folder: Path, views: bool
) -> Iterator[Server]:
    """A started, ready server for the block; stopped afterwards whatever happens."""
    folder.mkdir()
    port = free_port()
    process = start(folder, port)
    server = Server(name, f"http://127.0.0.1:{port}/graphql", process, folder / "server.log", views)
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop(process)


def wait_until_ready(server: Server) -> None:
    """Polls `{ __typename }` until the server answers it."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    body = {"query": QUERIES["typename"]}
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchmarkError(
                f"{server.name} exited with code {server.process.returncode} before it was"
                f" ready:\n{server.log_tail()}"
            )
        try:
            if httpx.post(server.url, json=body, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise BenchmarkError(f"{server.name} was not ready in {STARTUP_TIMEOUT_S:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited in time."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def call(
    client: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The data of one GraphQL request; a BenchmarkError on any error."""
    response = await client.post(url, json={"query": query, "variables": variables})
    if response.status_code != 200:
        raise BenchmarkError(f"HTTP {response.status_code}: {response.text[:500]}")
    body = response.json()
    if body.get("errors") or body.get("data") is None:
        raise BenchmarkError(f"{query[:60]}...: {json.dumps(body)[:500]}")
    data: dict[str, Any] = body["data"]
    return data


def check_results(data: dict[str, Any]) -> None:
    """Every CommandResult in a response must be ok."""
    refused = [result["errors"] for result in data.values() if not result["ok"]]
    if refused:
        raise BenchmarkError(f"{len(refused)} commands refused, the first: {refused[0]}")


def batch_mutation(field: str, input_type: str, size: int) -> str:
    """One mutation request doing `field` `size` times, with inputs $i0, $i1, ..."""
    variables = ", ".join(f"$i{n}: {input_type}!" for n in range(size))
    fields = " ".join(f"m{n}: {field}(input: $i{n}) {{ {RESULT_FIELDS} }}" for n in range(size))
    return f"mutation Seed({variables}) {{ {fields} }}"


async def seed_batch(
    client: httpx.AsyncClient, url: str, field: str, input_type: str, inputs: list[Any]
) -> None:
    """Up to SEED_BATCH commands in one request, run one after the other by the server."""
    query = batch_mutation(field, input_type, len(inputs))
    variables = {f"i{n}": input for n, input in enumerate(inputs)}
    check_results(await call(client, url, query, variables))


async def in_parallel(items: Sequence[T], action: Callable[[T], Awaitable[object]]) -> None:
    """`action` on every item, SEED_CONCURRENCY at a time."""
    queue: asyncio.Queue[T] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            await action(queue.get_nowait())

    await asyncio.gather(*(worker() for _ in range(SEED_CONCURRENCY)))


def customer_input(customer_id: str) -> dict[str, Any]:
    """RegisterCustomerInput of a seeded customer, named after its id."""
    number = customer_id[:8]
    email = f"customer{number}@bench.example"
    return {"customerId": customer_id, "name": f"Customer {number}", "email": email}


def product_input(product_id: str) -> dict[str, Any]:
    """AddProductInput of a seeded product, named and priced after its id."""
    number = product_id[:8]
    return {
        "productId": product_id,
        "sku": f"SKU-{number}",
        "name": f"Product {number}",
        "description": f"Seeded product {number}.",
        "priceCents": 100 + int(number, 16) % 9900,
        "initialStock": INITIAL_STOCK,
    }


def order_input(order: PlannedOrder) -> dict[str, Any]:
    """CreateOrderInput of a planned order."""
    return {
        "orderId": order.order_id,
        "customerId": order.customer_id,
        "items": [{"productId": p, "quantity": q} for p, q in order.lines],
        "shippingAddress": "1 Benchmark Way",
    }


async def seed_server(server: Server, seed: Seed) -> None:
    """Customers, then products, then orders, through the server's mutations; rates printed."""
    limits = httpx.Limits(max_connections=SEED_CONCURRENCY)
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        steps = [
            ("customers", "registerCustomer", list(map(customer_input, seed.customers))),
            ("products", "addProduct", list(map(product_input, seed.products))),
            ("orders", "createOrder", list(map(order_input, seed.orders))),
        ]
        for label, field, inputs in steps:
            input_type = f"{field[0].upper()}{field[1:]}Input"
            batches = [inputs[n : n + SEED_BATCH] for n in range(0, len(inputs), SEED_BATCH)]
            started = time.perf_counter()
            await in_parallel(batches, partial(seed_batch, client, server.url, field, input_type))
            elapsed = time.perf_counter() - started
            print(
                f"  {server.name}: seeded {len(inputs):,} {label} in {elapsed:.1f} s"
                f" ({len(inputs) / elapsed:,.0f}/s)",
                flush=True,
            )


async def wait_for_views(server: Server) -> float:
    """Seconds until every projection of our server has caught up with the log (lag 0)."""
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=30.0) as client:
        while time.perf_counter() - started < CATCH_UP_TIMEOUT_S:
            answer = await call(client, server.url, QUERIES["projections"])
            projections = answer["projections"]
            if all(p["lag"] == 0 for p in projections):
                return time.perf_counter() - started
            await asyncio.sleep(0.2)
    raise BenchmarkError(f"{server.name}'s projections did not catch up in {CATCH_UP_TIMEOUT_S} s")


async def spot_check(server: Server, seed: Seed) -> dict[str, Any]:
    """One request of each kind the scripts send must answer correctly; returns the order read."""
    order = seed.orders[0]
    async with httpx.AsyncClient(timeout=30.0) as client:
        typename = await call(client, server.url, QUERIES["typename"])
        found = (await call(client, server.url, QUERIES["order"], {"id": order.order_id}))["order"]
        page = await call(
            client, server.url, QUERIES["customer_orders"], {"customerId": order.customer_id}
        )
        fresh = {**order_input(order), "orderId": str(uuid.uuid4())}
        check_results(await call(client, server.url, QUERIES["create_order"], {"input": fresh}))
    if typename != {"__typename": "Query"} or found is None or found["id"] != order.order_id:
        raise BenchmarkError(f"{server.name} answered the spot check wrongly: {found!r}")
    if not page["customerOrders"]["nodes"]:
        raise BenchmarkError(f"{server.name}: no orders of customer {order.customer_id}")
    return {k: v for k, v in found.items() if k not in ("createdAt", "updatedAt")}


def run_wrk(
    server: Server, scenario: Scenario, data: Path, options: Options, *, sweep: int = 0
) -> str:
    """One wrk run of a scenario against a server: its whole output. With `sweep` seconds,
    a run of that length that asks for every seeded item in turn instead of at random."""
    command = [
        shutil.which("wrk") or "wrk",
        "-t1",
        f"-c{options.connections}",
        f"-d{sweep or options.duration}s",
        "--latency",
        "-s",
        str(SCRIPTS / scenario.script),
        server.url,
    ]
    if scenario.arguments:
        command += ["--", *scenario.arguments]
    finished = subprocess.run(
        command,
        env={**os.environ, "BENCH_DATA": str(data)} | ({"BENCH_SWEEP": "1"} if sweep else {}),
        capture_output=True,
        text=True,
        timeout=(sweep or options.duration) + 60,
        check=False,
    )
    return finished.stdout + finished.stderr


def measure(server: Server, scenario: Scenario, data: Path, options: Options) -> Measurement | str:
    """One run: the measurement, or why it failed. Our views are caught up afterwards, so
    that projecting one run's writes does not slow down the next run."""
    output = run_wrk(server, scenario, data, options)
    try:
        result: Measurement | str = parse_wrk_output(output)
    except ValueError as error:
        result = str(error)
    if scenario.writes and server.has_views:
        asyncio.run(wait_for_views(server))
    return result


def describe(server: Server, result: Measurement | str) -> str:
    """A progress line for one run."""
    if isinstance(result, str):
        return f"{server.name}: FAILED, {result}"
    figures = (
        f"{server.name}: {result.requests_per_s:9,.0f} req/s, p50 {result.p50_ms:7.1f} ms,"
        f" p99 {result.p99_ms:7.1f} ms"
    )
    return f"{figures}  FAILED: {result.failure}" if result.failure else figures


def summarize(results: list[Measurement | str]) -> tuple[dict[str, float], list[str]]:
    """Medians of the good runs (NaN when none), and why the others failed."""
    good: list[Measurement] = []
    failures: list[str] = []
    for result in results:
        if isinstance(result, str):
            failures.append(result)
        elif result.failure is not None:
            failures.append(result.failure)
        else:
            good.append(result)

    def median(field: str) -> float:
        return statistics.median(getattr(r, field) for r in good) if good else math.nan

    return {f: median(f) for f in ("requests_per_s", "p50_ms", "p99_ms")}, failures


def row(scenario: Scenario, results: dict[str, list[Measurement | str]]) -> dict[str, Any]:
    """The table row of a scenario from both servers' runs."""
    ours, ours_failures = summarize(results["ours"])
    baseline, baseline_failures = summarize(results["baseline"])
    line: dict[str, Any] = {
        "part": "http",
        "metric": scenario.metric,
        "unit": "req/s",
        "ours": ours["requests_per_s"],
        "baseline": baseline["requests_per_s"],
        "ours_p50_ms": ours["p50_ms"],
        "ours_p99_ms": ours["p99_ms"],
        "baseline_p50_ms": baseline["p50_ms"],
        "baseline_p99_ms": baseline["p99_ms"],
        "target": scenario.target,
    }
    notes = [f"ours: {f}" for f in ours_failures] + [f"baseline: {f}" for f in baseline_failures]
    if notes:
        line["note"] = "; ".join(notes)
    return line


def prepare(servers: list[Server], seed: Seed) -> None:
    """Seeds every server, all at once (nothing is measured yet), lets our views catch up,
    and checks both answer alike."""

    async def ready(server: Server) -> dict[str, Any]:
        await seed_server(server, seed)
        if server.has_views:
            waited = await wait_for_views(server)
            print(f"  {server.name}: views caught up {waited:.1f} s after seeding", flush=True)
        return await spot_check(server, seed)

    async def every_server() -> list[dict[str, Any]]:
        return await asyncio.gather(*(ready(server) for server in servers))

    answers = dict(zip([s.name for s in servers], asyncio.run(every_server()), strict=True))
    first, *others = answers.values()
    if any(answer != first for answer in others):
        raise BenchmarkError(f"the servers read the same order differently: {answers}")


def measure_all(
    servers: list[Server], data: Path, options: Options, sizes: dict[str, int]
) -> list[dict[str, Any]]:
    """Every scenario, `runs` times on each server, the servers taking turns.

    A read scenario first has one run more on each server, reported on a row of its own:
    ours keeps answers per view row, so its first pass over the data (answers not yet kept)
    and its steady state (every answer kept) are both figures worth knowing. Between the
    two, each server is asked for every seeded item once (not measured), so that the steady
    state is reached whatever the data's size.
    """
    rows = []
    for scenario in SCENARIOS:
        if not scenario.writes:
            first = {
                s.name: [measure_and_say(s, scenario, data, options, "first")] for s in servers
            }
            cold = row(replace(scenario, target=""), first)
            rows.append(cold | {"metric": f"{scenario.metric}, first run (nothing kept yet)"})
            if scenario.items:
                for server in servers:
                    first_run = first[server.name][0]
                    rate = (
                        first_run.requests_per_s
                        if isinstance(first_run, Measurement)
                        else SWEEP_RATE
                    )
                    sweep = math.ceil(sizes[scenario.items] / rate * SWEEP_MARGIN) + 1
                    run_wrk(server, scenario, data, options, sweep=sweep)
        results: dict[str, list[Measurement | str]] = {s.name: [] for s in servers}
        for run in range(options.runs):
            for server in servers if run % 2 == 0 else servers[::-1]:
                label = f"run {run + 1}/{options.runs}"
                results[server.name].append(measure_and_say(server, scenario, data, options, label))
        rows.append(row(scenario, results))
        if scenario.writes:
            rows.append(p99_row(rows[-1]))
    return rows


def measure_and_say(
    server: Server, scenario: Scenario, data: Path, options: Options, label: str
) -> Measurement | str:
    """One run, with its progress line."""
    result = measure(server, scenario, data, options)
    print(f"  {scenario.metric:26} {label} {describe(server, result)}", flush=True)
    return result


def p99_row(rate: dict[str, Any]) -> dict[str, Any]:
    """A write scenario's 99th percentile latency, against its own target."""
    return rate | {
        "metric": f"{rate['metric']}: p99 latency",
        "unit": "ms",
        "ours": rate["ours_p99_ms"],
        "baseline": rate["baseline_p99_ms"],
        "target": WRITE_P99_TARGET,
    }


def run(namespace: argparse.Namespace) -> list[dict[str, Any]]:
    """The HTTP part of `make bench`: one row per path, ours against the baseline."""
    options = Options.of(namespace)
    if shutil.which("wrk") is None:
        raise BenchmarkError("wrk is not on the PATH (Debian: apt-get install wrk)")
    seed = Seed.plan(options.customers, options.products, options.orders)
    started = time.perf_counter()
    print(
        f"HTTP: ours vs baseline, {options.orders:,} orders seeded, wrk -t1"
        f" -c{options.connections} -d{options.duration}s, median of {options.runs} runs",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-http-") as folder, ExitStack() as stack:
        data = Path(folder) / "data.lua"
        data.write_text(lua_data(seed))
        servers = [
            stack.enter_context(serving("ours", start_ours, Path(folder) / "ours", True)),
            stack.enter_context(
                serving("baseline", start_baseline, Path(folder) / "baseline", False)
            ),
        ]
        prepare(servers, seed)
        sizes = {"orders": len(seed.orders), "buyers": len(seed.buyers)}
        rows = measure_all(servers, data, options, sizes)
    print(f"  HTTP part took {time.perf_counter() - started:.0f} s", flush=True)
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This part's options, with their defaults."""
    default = Options()
    add = parser.add_argument
    add("--orders", type=int, default=default.orders, help="orders seeded into each server")
    add("--customers", type=int, default=default.customers)
    add("--products", type=int, default=default.products)
    add("--runs", type=int, default=default.runs, help="wrk runs per path and server")
    add("--duration", type=int, default=default.duration, help="seconds of each wrk run")
    add("--connections", type=int, default=default.connections, help="wrk's open connections")


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned text table, with the ratio ours/baseline."""
    header = ["metric", "unit", "ours", "baseline", "ratio", "ours p50/p99 ms", "base p50/p99 ms"]
    lines = [header]
    for r in rows:
        lines.append(
            [
                r["metric"],
                r["unit"],
                f"{r['ours']:,.0f}",
                f"{r['baseline']:,.0f}",
                f"{r['ours'] / r['baseline']:.2f}x",
                f"{r['ours_p50_ms']:.1f} / {r['ours_p99_ms']:.1f}",
                f"{r['baseline_p50_ms']:.1f} / {r['baseline_p99_ms']:.1f}",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
    notes = [f"  note, {r['metric']}: {r['note']}" for r in rows if "note" in r]
    return "\n".join(text + notes)


def main() -> None:
    """Runs this part alone and prints its table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http", description=__doc__)
    add_arguments(parser)
    print(format_table(run(parser.parse_args())))


if __name__ == "__main__":
    main()

"""Prometheus metrics of one process, in the text format at /metrics (`orders worker
--metrics-port` for a worker).

Names follow Prometheus conventions: `_total` counters, base units (`_seconds`), and label
values from small fixed sets (a command type, an error code, a projection): never an id.
Each process keeps its own registry; Prometheus adds them up across processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from projections.status import Standing, Status

disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` series are noise

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class Metrics:
    """Every metric this service exports, registered in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._write_side(self.registry)
        self._projections(self.registry)
        self._read_side(self.registry)

    def _write_side(self, r: CollectorRegistry) -> None:
        self.commands = Counter(
            "orders_commands",
            "Commands handled, by type and outcome (ok, replayed, an error "
            "code, or error for a failure of ours).",
            ["command", "outcome"],
            registry=r,
        )
        self.command_seconds = Histogram(
            "orders_command_duration_seconds",
            "Time from a command's arrival to its answer.",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.events_appended = Counter(
            "orders_events_appended", "Events appended to the log by this process.", registry=r
        )
        self.write_batch = Histogram(
            "orders_write_batch_commands",
            "Commands per group-commit batch of the writer.",
            buckets=BATCH_BUCKETS,
            registry=r,
        )

    def _projections(self, r: CollectorRegistry) -> None:
        self.projection_batch = Histogram(
            "orders_projection_batch_events",
            "Events per batch a projection applied.",
            ["projection"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.projection_seconds = Histogram(
            "orders_projection_apply_seconds",
            "Time a projection took to apply a batch.",
            ["projection"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def _read_side(self, r: CollectorRegistry) -> None:
        self.order_cache_reads = Counter(
            "orders_order_cache_reads",
            "order(id) reads of the Redis cache, by outcome (hit, miss, error).",
            ["outcome"],
            registry=r,
        )
        self.operations = Counter(
            "orders_graphql_operations",
            "GraphQL operations over HTTP and websockets, by "
            "operation type and outcome (ok, error).",
            ["operation_type", "outcome"],
            registry=r,
        )
        self.http_responses = Counter(
            "orders_http_responses",
            "HTTP responses, by route and status code.",
            ["route", "status"],
            registry=r,
        )
        self._responses: dict[tuple[str, int], Any] = {}
        self.cache_hits = Counter(
            "orders_response_cache_hits", "Queries answered from the response cache.", registry=r
        )
        self.websockets = Gauge(
            "orders_websocket_connections", "Open websocket connections.", registry=r
        )
        self.subscriptions = Gauge(
            "orders_active_operations",
            "Operations running over websockets (subscriptions among them).",
            registry=r,
        )
        self.waiters = Gauge(
            "orders_view_waiters",
            "Clients waiting on views: atLeast, waitFor, orderChanged.",
            registry=r,
        )

    # --- the hooks the parts are given ---------------------------------------------------------

    def command_handled(self, command: str, outcome: str, seconds: float) -> None:
        self.commands.labels(command, outcome).inc()
        self.command_seconds.labels(command).observe(seconds)

    def http_response(self, route: str, status: int) -> None:
        child = self._responses.get((route, status))
        if child is None:  # label lookups cost more than the count: keep each child
            child = self._responses[(route, status)] = self.http_responses.labels(route, status)
        child.inc()

    def order_cache_read(self, outcome: str) -> None:
        self.order_cache_reads.labels(outcome).inc()

    def batch_written(self, commands: int, events: int) -> None:
        self.write_batch.observe(commands)
        self.events_appended.inc(events)

    def batch_applied(self, projection: str, events: int, seconds: float) -> None:
        self.projection_batch.labels(projection).observe(events)
        self.projection_seconds.labels(projection).observe(seconds)

    def watch_projections(
        self, statuses: Callable[[], list[Status]], appended_after: Callable[[int], datetime | None]
    ) -> None:
        """Report each projection's position, lag and state, read at each scrape."""
        self.registry.register(_Projections(statuses, appended_after))


class _Projections(Collector):
    """Where each projection stands, read when Prometheus scrapes."""

    def __init__(
        self, statuses: Callable[[], list[Status]], appended_after: Callable[[int], datetime | None]
    ) -> None:
        self._statuses = statuses
        self._appended_after = appended_after  # when the event after a position was appended

    def collect(self) -> Iterator[GaugeMetricFamily]:
        position = GaugeMetricFamily(
            "orders_projection_position", "The last log position applied.", labels=["projection"]
        )
        lag = GaugeMetricFamily(
            "orders_projection_lag_events",
            "Events appended and not yet applied.",
            labels=["projection"],
        )
        lag_seconds = GaugeMetricFamily(
            "orders_projection_lag_seconds",
            "Age of the oldest event not yet applied.",
            labels=["projection"],
        )
        state = GaugeMetricFamily(
            "orders_projection_state",
            "0 running (or catching up, or rebuilding), 1 failed.",
            labels=["projection"],
        )
        now = datetime.now(UTC)
        for status in self._statuses():
            name = [status.projection.name]
            position.add_metric(name, status.live.position)
            lag.add_metric(name, status.lag)
            oldest = self._appended_after(status.live.position) if status.lag else None
            lag_seconds.add_metric(name, (now - oldest).total_seconds() if oldest else 0.0)
            state.add_metric(name, 1 if status.state is Standing.FAILED else 0)
        yield from (position, lag, lag_seconds, state)


def timed() -> Callable[[], float]:
    """A stopwatch: call the result for the seconds since."""
    started = time.perf_counter()
    return lambda: time.perf_counter() - started

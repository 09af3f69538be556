"""The composition root: builds every part from one Settings object and wires them.

Two ways to run, one code path: with no REDIS_URL the API process also runs the
projection workers (threads, in-process broker); with REDIS_URL, `orders worker`
processes run them and the API only sends wake-ups.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import dramatiq
import prometheus_client
import redis
from starlette.applications import Starlette
from starlette.types import ASGIApp

from domain.bus import CommandBus
from domain.dialect import create_tables
from domain.eventstore import EventStore
from domain.logreader import LogReader
from domain.tables import events
from orders.database import create_sync_engine, create_views_engine_reading_log
from orders.settings import Settings
from projections import order_details
from projections.applier import OnAdvanced
from projections.checkpoints import checkpoints
from projections.engine import ProjectionEngine
from projections.generations import GenerationTables
from projections.queries import ReadModel
from projections.registry import PROJECTIONS
from projections.set_based import WholeLog
from schema.app import build_app
from schema.auth import Authenticator
from schema.context import Context
from schema.ratelimit import InMemory, InRedis, Limit, Limiter
from schema.response_cache import ResponseCache
from workers.actors import declare_catch_up
from workers.broker import create_broker, start_worker
from workers.health import READY_TIMEOUT_S, Readiness, serve_health, table_answers
from workers.metrics import Metrics
from workers.notices import RedisPublisher, ViewPositions, listen
from workers.order_cache import OrderCache, OrderReads
from workers.wakeups import WakeUps


def order_cache(settings: Settings) -> OrderCache | None:
    """The Redis cache in front of ORDER_DETAILS: in the distributed mode, unless turned off."""
    if settings.redis_url is None or not settings.order_cache_seconds:
        return None
    return OrderCache(settings.redis_url, settings.redis_namespace, settings.order_cache_seconds)


def build_projection_engine(
    settings: Settings,
    on_advanced: OnAdvanced = lambda _name, _position, _keys, _after: None,
    metrics: Metrics | None = None,
    cache: OrderCache | None = None,
) -> ProjectionEngine:
    """The projections; with `metrics`, each batch is measured and each projection's
    position, lag and state reported at every scrape; with `cache`, it is kept (given, or
    made from the settings)."""
    log = LogReader(create_sync_engine(settings.database_url, writes=False))
    cache = cache or order_cache(settings)
    engine = ProjectionEngine(
        create_sync_engine(settings.views_url, writes=True),
        create_sync_engine(settings.views_url, writes=False),
        log,
        PROJECTIONS,
        on_advanced=on_advanced,
        on_applied=metrics.batch_applied if metrics else lambda _name, _events, _seconds: None,
        mirrors={order_details.PROJECTION.name: cache} if cache else None,
        whole_log=whole_log(settings),
    )
    if metrics is not None:
        metrics.watch_projections(engine.operations.statuses, partial(_appended_after, log))
    return engine


def whole_log(settings: Settings) -> WholeLog | None:
    """Where the views' database can read the log itself, for set-based rebuilds."""
    engine = create_views_engine_reading_log(settings.views_url, settings.database_url)
    return WholeLog(engine) if engine else None


def _appended_after(log: LogReader, position: int) -> datetime | None:
    """When the first event after `position` was appended, if there is one."""
    following = log.read_after(position, 1)
    return following[0].recorded_at if following else None


def authenticator(settings: Settings) -> Authenticator:
    """Tokens checked with the configured key; none configured: the service runs open."""
    if settings.auth_public_key is not None:
        key = settings.auth_public_key
        return Authenticator(key, ("RS256", "ES256"), settings.auth_issuer, settings.auth_audience)
    return Authenticator(
        settings.auth_secret, ("HS256",), settings.auth_issuer, settings.auth_audience
    )


def limiter(settings: Settings) -> Limiter | None:
    """Mutations per client: counted in Redis where it is used, so all API processes share
    each client's bucket; in memory otherwise."""
    limit = Limit.parse(settings.rate_limit)
    if limit is None:
        return None
    if settings.redis_url is not None:
        return InRedis(limit, settings.redis_url, settings.redis_namespace)
    return InMemory(limit)


def readiness(settings: Settings) -> Readiness:
    """What this deployment's processes need in order to work: the log, the views and,
    in the distributed mode, Redis."""
    checks = {
        "event_store": table_answers(
            create_sync_engine(settings.database_url, writes=False), events
        ),
        "views": table_answers(create_sync_engine(settings.views_url, writes=False), checkpoints),
    }
    if settings.redis_url is not None:
        client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=READY_TIMEOUT_S, socket_connect_timeout=1
        )
        checks["redis"] = client.ping
    return Readiness(checks)


SHUTDOWN_GRACE_MS = 10_000


@dataclass
class Workers:
    """The broker, the wake-ups sent through it, and (where this process runs them) workers."""

    broker: dramatiq.Broker
    wakeups: WakeUps
    worker: dramatiq.Worker | None

    @classmethod
    def start(
        cls, settings: Settings, projections: ProjectionEngine, *, run_here: bool, threads: int = 2
    ) -> Workers:
        broker = create_broker(settings.redis_url, settings.redis_namespace)
        actor = declare_catch_up(broker, projections.catch_up_all)
        wakeups = WakeUps(actor, sweep_every=settings.sweep_every)
        worker = start_worker(broker, threads) if run_here else None
        wakeups.start()
        return cls(broker, wakeups, worker)

    def stop(self) -> None:
        self.wakeups.stop()
        if self.worker is not None:
            self.worker.stop(timeout=SHUTDOWN_GRACE_MS)  # the batch under way commits or not
        self.broker.close()


@dataclass
class Services:
    store: EventStore
    bus: CommandBus
    read: ReadModel
    orders: OrderReads
    projections: ProjectionEngine
    positions: ViewPositions
    response_cache: ResponseCache
    metrics: Metrics
    authenticator: Authenticator
    limiter: Limiter | None
    workers: Workers
    tasks: tuple[asyncio.Task[None], ...]
    engines: tuple[Any, ...]

    def context(self, authorization: str | None = None, address: str | None = None) -> Context:
        """A request's context; its caller told by `authorization` (raises Unauthenticated
        for a bad token), from `address`."""
        return Context(
            bus=self.bus,
            store=self.store,
            read=self.read,
            orders=self.orders,
            projections=self.projections,
            positions=self.positions,
            metrics=self.metrics,
            authenticator=self.authenticator,
            principal=self.authenticator.principal(authorization),
            limiter=self.limiter,
            address=address,
        )

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await asyncio.to_thread(self.workers.stop)
        await self.store.close()
        if self.limiter is not None:
            await self.limiter.close()
        await self.orders.close()
        for engine in self.engines:
            engine.dispose()


def hear_views(settings: Settings, positions: ViewPositions) -> tuple[asyncio.Task[None], ...]:
    """Keep `positions` current: its own poll and, where the workers are other processes,
    their notices through Redis."""
    tasks = [asyncio.create_task(positions.run(), name="view-positions")]
    if settings.redis_url is not None:
        tasks.append(
            asyncio.create_task(listen(settings.redis_url, settings.redis_namespace, positions))
        )
    return tuple(tasks)


async def start_services(settings: Settings) -> Services:
    metrics = Metrics()
    store = EventStore(
        create_sync_engine(settings.database_url, writes=True),
        create_sync_engine(settings.database_url, writes=False),
        on_written=metrics.batch_written,
    )
    views = create_sync_engine(settings.views_url, writes=False)
    await store.create_schema()
    read = ReadModel(views, GenerationTables())
    positions = ViewPositions(read.positions)
    metrics.waiters.set_function(positions.waiting)
    response_cache = ResponseCache(positions.known)
    positions.on_change(response_cache.invalidate)
    cache = order_cache(settings)  # one per process: read here, cleared by a skip here
    projections = build_projection_engine(
        settings,
        on_advanced=positions.deliver_threadsafe,
        metrics=metrics if settings.redis_url is None else None,  # else: the workers report
        cache=cache,
    )
    await asyncio.to_thread(projections.prepare)  # before anything reads the checkpoints
    tasks = hear_views(settings, positions)
    workers = Workers.start(settings, projections, run_here=settings.redis_url is None)
    return Services(
        store=store,
        bus=CommandBus(store, on_committed=workers.wakeups.notify),
        read=read,
        orders=OrderReads(read.order, cache, metrics.order_cache_read),
        projections=projections,
        positions=positions,
        response_cache=response_cache,
        metrics=metrics,
        authenticator=authenticator(settings),
        limiter=limiter(settings),
        workers=workers,
        tasks=tasks,
        engines=(views,),
    )


def tune_garbage_collector() -> None:
    """Collect young objects every 10,000 allocations, not every 700; older ones as usual.

    A request allocates thousands of short-lived objects (strawberry, graphql-core), so at
    Python's default the collector ran several times per request and each time walked the
    long-lived caches: a quarter of a createOrder's CPU, measured. Much larger young
    generations cost more than they save: at 100,000 each young collection paused every
    thread for about 150 ms, which was the p99 of createOrder under load (about 200 ms,
    against about 90 ms at 10,000, for the same throughput). What start-up built is frozen
    out of the collector's way. Only cycles wait longer to be freed.
    """
    gc.set_threshold(10_000, 10, 10)
    gc.freeze()


def create_app(settings: Settings | None = None) -> ASGIApp:
    """The ASGI app; nothing is connected until its lifespan starts."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        services = await start_services(settings)
        tune_garbage_collector()
        try:
            yield {
                "new_context": services.context,
                "response_cache": services.response_cache,
                "readiness": readiness(settings),
                "metrics": services.metrics,
                "authenticator": services.authenticator,
            }
        finally:
            await services.close()

    return build_app(lifespan)


def run_worker(
    settings: Settings,
    threads: int,
    health_port: int | None = None,
    metrics_port: int | None = None,
) -> None:
    """`orders worker`: run projections for the API processes until SIGINT or SIGTERM;
    with `health_port`, answer /healthz and /readyz there; with `metrics_port`, /metrics."""
    if settings.redis_url is None:
        raise SystemExit("orders worker needs REDIS_URL: without it the API runs its own workers")
    with create_sync_engine(settings.database_url, writes=True).begin() as conn:
        create_tables(conn)  # a worker may well start before any API process
    publisher = RedisPublisher(settings.redis_url, settings.redis_namespace)
    metrics = Metrics()
    projections = build_projection_engine(settings, publisher.publish, metrics)
    if metrics_port:
        prometheus_client.start_http_server(metrics_port, registry=metrics.registry)
    projections.prepare()
    workers = Workers.start(settings, projections, run_here=True, threads=threads)
    health = serve_health(readiness(settings), health_port) if health_port else None
    tune_garbage_collector()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    if health is not None:
        health.shutdown()
    workers.stop()
    publisher.close()

"""The Dramatiq broker: in-process by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker


def create_broker(redis_url: str | None, namespace: str) -> dramatiq.Broker:
    if redis_url is None:
        return StubBroker()
    return RedisBroker(url=redis_url, namespace=namespace)  # type: ignore[no-untyped-call]


def start_worker(broker: dramatiq.Broker, threads: int = 2) -> dramatiq.Worker:
    """Worker threads inside this process."""
    # A broker emits process_boot from Dramatiq's own CLI; without it, middleware that
    # hooks it (time limits among them) would silently do nothing here.
    broker.emit_after("process_boot")
    # Wake-ups are latency-bound: an idle consumer polls every 20 ms, not every second.
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=20)
    worker.start()
    return worker

"""The actors. Messages carry no data at all, never events: running one twice, late or out
of order is harmless, because every projection always reads the log itself."""

from __future__ import annotations

from collections.abc import Callable

import dramatiq

QUEUE = "projections"


def declare_catch_up(
    broker: dramatiq.Broker, catch_up: Callable[[], None]
) -> dramatiq.Actor[[], None]:
    """`catch_up()`: apply the log to every projection up to the head."""
    declare = dramatiq.actor(
        broker=broker,
        actor_name="catch_up_all",
        queue_name=QUEUE,
        max_retries=0,  # the engine retries a failing projection itself, with back-off
        time_limit=10 * 60 * 1000,
    )
    return declare(catch_up)

"""Wake-ups after commits, and the periodic sweep that makes a lost one harmless."""

from __future__ import annotations

import logging
import threading

import dramatiq

log = logging.getLogger(__name__)


class WakeUps:
    """Tells the workers, from one background thread, that the log has grown.

    `notify()` only raises a flag, so a commit never waits on the broker, and the commits
    that land while one message is going out share the next. One message wakes every
    projection: they catch up together. The same thread sends one every `sweep_every`
    seconds regardless: a message lost to a broker outage or a killed worker costs that
    much latency, never data.
    """

    def __init__(self, actor: dramatiq.Actor[[], None], *, sweep_every: float) -> None:
        self._actor = actor
        self._sweep_every = sweep_every
        self._due = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="wake-ups", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        self._due.set()

    def stop(self) -> None:
        self._stopped = True
        self._due.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopped:
            self._send()  # at start-up too: catch up with whatever was written meanwhile
            self._due.wait(self._sweep_every)
            self._due.clear()

    def _send(self) -> None:
        try:
            self._actor.send()
        except Exception:  # the broker is away: the next sweep tries again
            log.warning("wake-up not sent", exc_info=True)

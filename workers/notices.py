"""Notices that a view has reached a log position, and the waiters who want to know.

Workers publish "projection N reached position P, changing rows K" after each commit. An
API process keeps, in its event loop, the latest position it knows for each projection,
the futures waiting on positions and the queues watching rows. Notices are only a
shortcut: the process also re-reads the checkpoints every `poll_every` seconds, so a lost
notice (a Redis reconnect, a worker killed after its commit) costs that much latency,
never a missed wake-up. A waiter reads nothing itself: it waits for a notice or the poll.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import redis
import redis.asyncio

log = logging.getLogger(__name__)

ReadPositions = Callable[[], Awaitable[dict[str, int]]]


@dataclass(eq=False)  # compared and hashed by identity: a set holds them
class _Waiter:
    position: int
    pending: set[str]
    done: asyncio.Event = field(default_factory=asyncio.Event)


class ViewPositions:
    """Lives in one event loop; `deliver_threadsafe` may be called from any thread."""

    def __init__(self, read_positions: ReadPositions, *, poll_every: float = 0.5) -> None:
        self._read_positions = read_positions
        self._poll_every = poll_every
        self._latest: dict[str, int] = {}
        self._changes: list[Callable[[str, Iterable[str] | None], None]] = []
        self._waiters: set[_Waiter] = set()
        self._watchers: dict[tuple[str, str], set[asyncio.Queue[int]]] = defaultdict(set)
        self._advanced = asyncio.Event()
        self._refreshing: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def latest(self, name: str) -> int:
        return self._latest.get(name, 0)

    def known(self) -> dict[str, int]:
        """Where each projection is known to have got to."""
        return self._latest

    def waiting(self) -> int:
        """Clients waiting on views: atLeast and waitFor waiters, orderChanged watchers."""
        return len(self._waiters) + sum(len(queues) for queues in self._watchers.values())

    def on_change(self, listener: Callable[[str, Iterable[str] | None], None]) -> None:
        """Call `listener(name, keys)` whenever projection `name` commits changes to rows `keys`
        (None: to rows unknown), before any waiter hears of it."""
        self._changes.append(listener)

    def deliver(
        self,
        name: str,
        position: int,
        keys: Iterable[str] | None = None,
        after: int | None = None,
    ) -> None:
        """Projection `name` reached `position` from `after`, changing rows `keys` (None:
        unknown which).

        A notice that starts beyond what is known here follows one that never arrived (a
        worker killed between its commit and its notice, a dropped message): its keys are
        not the whole change, so it counts as changing rows unknown. A notice without keys
        counts even at a position already known: a rebuilt generation that has gone live
        changed every row at the same position.
        """
        if after is not None and after > self._latest.get(name, 0):
            keys = None  # a gap: rows changed that no notice here has named
        if position < self._latest.get(name, -1) or (
            position == self._latest.get(name) and keys is not None
        ):
            return
        self._latest[name] = position
        for listener in self._changes:
            listener(name, keys)
        for waiter in list(self._waiters):
            if name in waiter.pending and position >= waiter.position:
                waiter.pending.discard(name)
                if not waiter.pending:
                    waiter.done.set()
        watched = (
            [w for (n, _), ws in self._watchers.items() if n == name for w in ws]
            if keys is None
            else [w for key in keys for w in self._watchers.get((name, key), ())]
        )
        for queue in watched:
            queue.put_nowait(position)
        self._advanced.set()
        self._advanced = asyncio.Event()

    def deliver_threadsafe(
        self, name: str, position: int, keys: list[str] | None, after: int
    ) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.deliver, name, position, keys, after)

    async def wait(self, names: Iterable[str], position: int, timeout: float) -> set[str]:
        """Wait until every named projection has reached `position`, or `timeout` seconds;
        the names that made it."""
        names = set(names)
        waiter = _Waiter(position, {n for n in names if self.latest(n) < position})
        if waiter.pending:
            self._waiters.add(waiter)
            try:  # a notice lost on its way is made good by the poll in `run`
                await asyncio.wait_for(waiter.done.wait(), timeout)
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)
        return {n for n in names if self.latest(n) >= position}

    def watch(self, name: str, key: str) -> asyncio.Queue[int]:
        """A queue that receives a position each time projection `name` commits row `key`."""
        queue: asyncio.Queue[int] = asyncio.Queue()
        self._watchers[(name, key)].add(queue)
        return queue

    def unwatch(self, name: str, key: str, queue: asyncio.Queue[int]) -> None:
        watchers = self._watchers.get((name, key))
        if watchers is not None:
            watchers.discard(queue)
            if not watchers:
                del self._watchers[(name, key)]

    async def advanced(self) -> None:
        """Return at the next position any projection reaches."""
        await self._advanced.wait()

    async def refresh(self) -> None:
        """Re-read every checkpoint; concurrent callers share one read."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._refresh())
        await asyncio.shield(self._refreshing)

    async def _refresh(self) -> None:
        for name, position in (await self._read_positions()).items():
            if position > self._latest.get(name, -1):
                self.deliver(name, position)  # rows unknown: watchers of `name` look again

    async def run(self) -> None:
        """Poll the checkpoints (the net under the notices): reads and cached answers rely on
        the positions known here, so they are kept fresh even when no one waits."""
        self._loop = asyncio.get_running_loop()
        while True:
            try:
                await self.refresh()
            except Exception:  # the database is away: try again at the next tick
                log.warning("could not re-read the checkpoints", exc_info=True)
            await asyncio.sleep(self._poll_every)


def channel(namespace: str) -> str:
    return f"{namespace}:view-positions"


class RedisPublisher:
    """Publishes notices from a worker process to every API process."""

    def __init__(self, url: str, namespace: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._channel = channel(namespace)

    def publish(self, name: str, position: int, keys: list[str] | None, after: int) -> None:
        try:
            self._client.publish(self._channel, json.dumps([name, position, keys, after]))
        except redis.RedisError:  # the API processes' polling picks the position up
            log.warning("notice for %s at %d not published", name, position, exc_info=True)

    def close(self) -> None:
        self._client.close()


async def listen(url: str, namespace: str, positions: ViewPositions) -> None:
    """One pub/sub connection per API process, fanned out to every waiter in it."""
    client = redis.asyncio.Redis.from_url(url)
    try:
        while True:
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(channel(namespace))
                    await positions.refresh()  # notices sent while we were away are gone
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            name, position, keys, after = json.loads(message["data"])
                            positions.deliver(name, int(position), keys, int(after))
            except Exception:  # Redis (or the database, on refresh) is away: listen again soon
                log.warning("lost the Redis notices; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)
    finally:
        await client.aclose()

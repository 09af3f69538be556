"""A per-client limit on mutations: a token bucket per client, `rate` commands a second
with bursts of up to `burst`.

A client is its token's subject, or its address when it shows none. Administrators (and
the open dev mode, where every caller is one) are not limited: they are the operators.
In one process the buckets live in memory; with Redis (the distributed mode) they live
there, so that every API process counts the same client against one bucket.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio

MAX_CLIENTS = 100_000  # buckets kept in memory; the least recently used are dropped (refilled)

# KEYS[1]: the bucket; ARGV: rate, burst, now (s). Returns the seconds to wait, 0 if allowed.
_TAKE = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class Limiter(Protocol):
    async def wait_for(self, client: str) -> float:
        """Take one command from `client`'s bucket: 0, or the seconds until one is left."""

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Limit:
    rate: float  # commands a second, on average
    burst: int  # commands at once, after a quiet while

    @classmethod
    def parse(cls, text: str) -> Limit | None:
        """`20/s`, `600/m` or `0` (no limit); the burst is a second's worth, at least 10."""
        if text.strip() == "0":
            return None
        count, _, unit = text.strip().partition("/")
        seconds = {"s": 1, "m": 60, "h": 3600}.get(unit.strip() or "s")
        if not count.strip().isdigit() or seconds is None or int(count) == 0:
            raise ValueError(f"RATE_LIMIT is {text!r}; give e.g. 20/s, 600/m, or 0 for none")
        rate = int(count) / seconds
        return cls(rate, max(10, math.ceil(rate)))


class InMemory:
    def __init__(self, limit: Limit) -> None:
        self._limit = limit
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    async def wait_for(self, client: str) -> float:
        now = time.monotonic()
        tokens, at = self._buckets.pop(client, (float(self._limit.burst), now))
        tokens = min(self._limit.burst, tokens + (now - at) * self._limit.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self._limit.rate
        self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
        if len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return wait

    async def close(self) -> None:
        self._buckets.clear()


class InRedis:
    def __init__(self, limit: Limit, url: str, namespace: str) -> None:
        self._limit = limit
        self._client = redis.asyncio.Redis.from_url(url)
        self._take = self._client.register_script(_TAKE)
        self._prefix = f"{namespace}:rate:"

    async def wait_for(self, client: str) -> float:
        try:
            waited = await self._take(
                keys=[self._prefix + client],
                args=[self._limit.rate, self._limit.burst, time.time()],
            )
        except redis.RedisError:  # Redis away: commands go on, unlimited, rather than stop
            return 0.0
        return float(waited)

    async def close(self) -> None:
        await self._client.aclose()

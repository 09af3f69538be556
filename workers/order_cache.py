"""The cache read store: each order's ORDER_DETAILS row as a JSON document in Redis, in front
of the view, for the distributed mode (many API processes, one view database).

The workers keep it (a `Mirror` of ORDER_DETAILS, projections/mirrors.py); `order(id)` reads
it first and the view on a miss. Why it never serves an order older than the view held at a
notice already published:
- Before a batch commits, each order it changes is *claimed*: its entry becomes a marker
  carrying the new version and no document, so readers miss and read the view.
- After the commit, and before the notice, the entry is *filled* with the row as committed.
  A fill never lands on a newer version (the claim of a later batch, whose version is
  higher, turns an earlier batch's late fill away), all in one Lua script.
- A change to rows unknown (a rebuild gone live, a skipped event) *clears* the cache by
  moving it to a new epoch (INCR): no key is ever scanned, and a fill claimed in an older
  epoch is turned away.
Entries expire (ORDER_CACHE_SECONDS); a reader also never takes an entry filled below the
`atLeast` it was asked for. Every key is built from the namespace, so one Redis serves one
deployment per namespace (not a Redis Cluster: the scripts name keys they compute).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import redis
import redis.asyncio

from domain.utc import as_utc
from projections.orders import OrderColumns
from projections.projection import Row

log = logging.getLogger(__name__)

_CLAIM = """
local epoch = redis.call('GET', KEYS[1]) or '0'
for i = 3, #ARGV, 2 do
  local key = ARGV[1] .. epoch .. ':' .. ARGV[i]
  local version = tonumber(ARGV[i + 1])
  local held = tonumber(redis.call('HGET', key, 'v') or '-1')
  redis.call('DEL', key)
  redis.call('HSET', key, 'v', math.max(held, version))
  redis.call('PEXPIRE', key, ARGV[2])
end
return epoch
"""

_FILL = """
local epoch = redis.call('GET', KEYS[1]) or '0'
if epoch ~= ARGV[3] then return 0 end
for i = 5, #ARGV, 3 do
  local key = ARGV[1] .. epoch .. ':' .. ARGV[i]
  local held = redis.call('HGET', key, 'v')
  if not held or tonumber(held) <= tonumber(ARGV[i + 1]) then
    redis.call('HSET', key, 'v', ARGV[i + 1], 'p', ARGV[4], 'd', ARGV[i + 2])
    redis.call('PEXPIRE', key, ARGV[2])
  end
end
return 1
"""

_READ = """
local epoch = redis.call('GET', KEYS[1]) or '0'
return redis.call('HMGET', ARGV[1] .. epoch .. ':' .. ARGV[2], 'p', 'd')
"""

_TIMES = frozenset(
    name for name, field in OrderColumns.model_fields.items() if field.annotation is datetime
)


class OrderCache:
    """One deployment's cached orders: kept by the workers, read by the API processes."""

    def __init__(self, url: str, namespace: str, expire_seconds: float) -> None:
        self._prefix = f"{namespace}:order-cache:"
        self._epoch_key = f"{self._prefix}epoch"
        self._expire_ms = str(int(expire_seconds * 1000))
        self._client = redis.Redis.from_url(url)  # the workers' side: their threads block
        self._claim = self._client.register_script(_CLAIM)
        self._fill = self._client.register_script(_FILL)
        self._reader = redis.asyncio.Redis.from_url(url)  # the API's side, in its event loop
        self._read = self._reader.register_script(_READ)

    # --- the workers' side: a Mirror of ORDER_DETAILS ------------------------------------

    def claim(self, rows: Sequence[Row]) -> bytes:
        """Mark these orders as changing; the epoch they were claimed in."""
        args = [self._prefix, self._expire_ms]
        for row in rows:
            args += [row["order_id"], row["version"]]
        epoch: bytes = self._claim(keys=[self._epoch_key], args=args)
        return epoch

    def fill(self, rows: Sequence[Row], position: int, claimed: bytes) -> None:
        """The orders as committed at `position`, unless a newer version or a clear came first."""
        args: list[Any] = [self._prefix, self._expire_ms, claimed, position]
        for row in rows:
            args += [row["order_id"], row["version"], _document(row)]
        self._fill(keys=[self._epoch_key], args=args)

    def clear(self) -> None:
        self._client.incr(self._epoch_key)

    # --- the API's side ---------------------------------------------------------------------

    async def order(self, order_id: str, at_least: int) -> Row | None:
        """The cached row of `order_id`, if there is one filled at `at_least` or later."""
        position, document = await self._read(keys=[self._epoch_key], args=[self._prefix, order_id])
        if document is None or int(position) < at_least:
            return None
        return _row(document)

    def close(self) -> None:
        """Close the workers' side (the API's side: `aclose`)."""
        self._client.close()

    async def aclose(self) -> None:
        await self._reader.aclose()
        self._client.close()


class OrderReads:
    """`order(id)`: from the cache where there is one holding a copy fresh enough, else from
    the view (also when Redis does not answer: the view is the truth, the cache a shortcut)."""

    def __init__(
        self,
        view: Callable[[str], Awaitable[Row | None]],
        cache: OrderCache | None = None,
        counted: Callable[[str], None] = lambda _outcome: None,
    ) -> None:
        self._view = view
        self._cache = cache
        self._counted = counted  # hit, miss or error, for the metrics

    async def order(self, order_id: str, at_least: int | None) -> Row | None:
        if self._cache is None:
            return await self._view(order_id)
        try:
            row = await self._cache.order(order_id, at_least or 0)
        except redis.RedisError as error:
            log.debug("order cache unavailable: %r", error)
            self._counted("error")
            return await self._view(order_id)
        self._counted("miss" if row is None else "hit")
        return row if row is not None else await self._view(order_id)

    async def close(self) -> None:
        if self._cache is not None:
            await self._cache.aclose()


def _document(row: Row) -> str:
    """The row as JSON, times in UTC, as the view's columns hand them back."""
    return json.dumps(
        {
            name: as_utc(value).isoformat() if name in _TIMES else value
            for name, value in row.items()
        },
        separators=(",", ":"),
    )


def _row(document: bytes) -> Row:
    row: Row = json.loads(document)
    for name in _TIMES:
        row[name] = datetime.fromisoformat(row[name])
    return row

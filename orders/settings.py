"""Settings, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///./data/orders.db"
    # The views' database. By default the log's on PostgreSQL; on SQLite a file beside the
    # log's, so that projecting never waits for SQLite's one write lock behind the writer.
    read_database_url: str | None = None
    redis_url: str | None = None  # set: Redis brokers the workers, run by `orders worker`
    redis_namespace: str = "orders"  # prefix of every Redis key this deployment uses
    sweep_every: float = 2.0  # seconds between catch-up sweeps of every projection
    access_log: bool = False  # a line per HTTP request costs a fifth of a small query's time
    log_level: str = "INFO"  # DEBUG: a line per command and per projection batch, with ids
    # Bearer tokens (schema/auth.py): a shared secret (HS256), or a PEM public key (RS256,
    # ES256); with neither, the service runs open, and only on a loopback address.
    auth_secret: str | None = None
    auth_public_key: str | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None
    rate_limit: str = "20/s"  # mutations per client (token subject, or address); 0: none
    # With REDIS_URL: how long an order stays in the Redis cache in front of ORDER_DETAILS
    # (workers/order_cache.py); 0 turns the cache off.
    order_cache_seconds: float = 3600

    @property
    def views_url(self) -> str:
        if self.read_database_url:
            return self.read_database_url
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return self.database_url
        log = Path(url.database)
        return url.set(
            database=str(log.with_name(f"{log.stem}-views{log.suffix}"))
        ).render_as_string()

    @classmethod
    def from_env(cls) -> Settings:
        """The settings in the environment; a ValueError says, in one line, what is wrong."""
        env = os.environ
        read_database_url = env.get("READ_DATABASE_URL")
        return cls(
            database_url=database_url(env.get("DATABASE_URL") or cls.database_url),
            read_database_url=database_url(read_database_url) if read_database_url else None,
            redis_url=env.get("REDIS_URL") or None,
            redis_namespace=env.get("REDIS_NAMESPACE") or cls.redis_namespace,
            sweep_every=float(env.get("SWEEP_EVERY_SECONDS") or cls.sweep_every),
            access_log=env.get("ACCESS_LOG", "") not in ("", "0"),
            log_level=log_level(env.get("LOG_LEVEL") or cls.log_level),
            auth_secret=secret(env.get("AUTH_SECRET") or None),
            auth_public_key=env.get("AUTH_PUBLIC_KEY") or None,
            auth_issuer=env.get("AUTH_ISSUER") or None,
            auth_audience=env.get("AUTH_AUDIENCE") or None,
            rate_limit=rate_limit(env.get("RATE_LIMIT") or cls.rate_limit),
            order_cache_seconds=seconds("ORDER_CACHE_SECONDS", env, cls.order_cache_seconds),
        )


# The drivers the service runs on, by the scheme a user may write without one.
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}
_ACCEPTED = (
    "a file path (SQLite), sqlite:///PATH, postgresql://USER@HOST:PORT/DATABASE, "
    "or either with its driver (sqlite+aiosqlite://, postgresql+asyncpg://)"
)


def database_url(value: str) -> str:
    """A database URL in the form the service runs on: a plain file path is SQLite, and a
    scheme without a driver gets the service's driver."""
    scheme, separator, rest = value.partition("://")
    if not separator:
        if not value.strip() or "\0" in value:
            raise ValueError(f"not a database: {value!r}; give {_ACCEPTED}")
        return f"sqlite+aiosqlite:///{value}"
    if scheme in _DRIVERS:
        scheme = _DRIVERS[scheme]
    if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ValueError(f"not a database URL this service runs on: {value!r}; give {_ACCEPTED}")
    return f"{scheme}://{rest}"


def log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError(f"LOG_LEVEL is {value!r}; give DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def secret(value: str | None) -> str | None:
    if value is not None and len(value.encode()) < 32:
        raise ValueError("AUTH_SECRET must be at least 32 bytes (e.g. openssl rand -hex 32)")
    return value


def rate_limit(value: str) -> str:
    from schema.ratelimit import Limit

    Limit.parse(value)  # a ValueError names the forms it takes
    return value


def seconds(name: str, env: Mapping[str, str], default: float) -> float:
    """A number of seconds, zero or more, from `env[name]`."""
    value = env.get(name) or str(default)
    try:
        number = float(value)
    except ValueError:
        number = -1
    if not 0 <= number < float("inf"):
        raise ValueError(f"{name} is {value!r}; give a number of seconds, 0 or more")
    return number

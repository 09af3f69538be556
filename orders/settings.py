"""Settings, read once from the environment."""

from __future__ import annotations

import os
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
        env = os.environ
        return cls(
            database_url=env.get("DATABASE_URL") or cls.database_url,
            read_database_url=env.get("READ_DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            redis_namespace=env.get("REDIS_NAMESPACE") or cls.redis_namespace,
            sweep_every=float(env.get("SWEEP_EVERY_SECONDS") or cls.sweep_every),
            access_log=env.get("ACCESS_LOG", "") not in ("", "0"),
        )

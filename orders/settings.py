"""Settings, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///./data/orders.db"
    read_database_url: str | None = None  # the views' database; by default the log's
    redis_url: str | None = None  # set: Redis brokers the workers, run by `orders worker`
    redis_namespace: str = "orders"  # prefix of every Redis key this deployment uses
    sweep_every: float = 2.0  # seconds between catch-up sweeps of every projection
    access_log: bool = False  # a line per HTTP request costs a fifth of a small query's time

    @property
    def views_url(self) -> str:
        return self.read_database_url or self.database_url

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

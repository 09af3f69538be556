"""Settings, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///./data/orders.db"
    read_database_url: str | None = None  # the views' database; defaults to database_url
    redis_url: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("DATABASE_URL", cls.database_url),
            read_database_url=os.environ.get("READ_DATABASE_URL") or None,
            redis_url=os.environ.get("REDIS_URL") or None,
        )

"""The composition root: builds every part from one Settings object and wires them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from domain.bus import CommandBus
from domain.eventstore import EventStore
from orders.database import create_engine
from orders.settings import Settings
from schema.app import build_app
from schema.context import Context


@dataclass(frozen=True)
class Services:
    store: EventStore
    bus: CommandBus
    engines: tuple[AsyncEngine, ...]

    async def close(self) -> None:
        await self.store.close()
        for engine in self.engines:
            await engine.dispose()


async def start_services(settings: Settings) -> Services:
    writer = create_engine(settings.database_url, writes=True)
    reader = create_engine(settings.database_url, writes=False)
    store = EventStore(writer, reader)
    await store.create_schema()
    return Services(store=store, bus=CommandBus(store), engines=(writer, reader))


def create_app(settings: Settings | None = None) -> Starlette:
    """The ASGI app; nothing is connected until its lifespan starts."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        services = await start_services(settings)
        try:
            yield {"context": Context(bus=services.bus, store=services.store)}
        finally:
            await services.close()

    return build_app(lifespan)

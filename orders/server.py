"""`orders serve`: uvicorn, with a shutdown that lets in-flight work finish.

On SIGTERM (or SIGINT) uvicorn stops accepting connections and waits for the requests in
flight, so every command being handled is decided and answered; this server first closes
every websocket with 1001 (going away) rather than uvicorn's 1012, and bounds the wait at
SHUTDOWN_GRACE_S. Then the app's lifespan closes the writer, the workers and the pools,
and the signal is raised again, as uvicorn does.
"""

from __future__ import annotations

import ipaddress
import logging
import socket

import uvicorn

from orders.settings import Settings
from schema.websockets import close_all

SHUTDOWN_GRACE_S = 10


class GracefulServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await close_all()
        await super().shutdown(sockets)


def serve(host: str, port: int, *, access_log: bool) -> None:
    config = uvicorn.Config(
        "orders.bootstrap:create_app",
        factory=True,
        host=host,
        port=port,
        access_log=access_log,
        log_config=None,  # uvicorn's lines go through ours (orders/logs.py)
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )
    GracefulServer(config).run()


def open_mode_allowed(settings: Settings, host: str) -> bool:
    """With no authentication configured, the service serves this machine alone."""
    if settings.auth_secret or settings.auth_public_key:
        return True
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        logging.getLogger(__name__).warning(
            "no AUTH_SECRET or AUTH_PUBLIC_KEY: serving %s open, every caller an admin", host
        )
    return loopback

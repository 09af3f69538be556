"""The GraphiQL playground at GET /graphql, with its scripts and styles served by the app itself.

strawberry's own page loads React and GraphiQL from a public CDN, so it is blank offline. This
one loads the same packages, vendored under `assets/` (see `assets/README.md` and `vendor.sh`),
from `ASSETS_PATH`; mount `assets_app()` there and answer the IDE request with `page_html()`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.staticfiles import StaticFiles

__all__ = ["ASSETS_DIR", "ASSETS_PATH", "assets_app", "page_html"]

ASSETS_PATH = "/graphiql-assets"
"""Where the app mounts `assets_app()`; the page loads its files from under it."""

ASSETS_DIR = Path(__file__).parent / "assets"
_PAGE = Path(__file__).parent / "page.html"


def assets_app() -> StaticFiles:
    """The vendored files, to mount at `ASSETS_PATH`."""
    return StaticFiles(directory=ASSETS_DIR)


@cache
def page_html(assets_path: str = ASSETS_PATH) -> str:
    """The GraphiQL page, loading its files from `assets_path` (the mount of `assets_app()`).

    It talks to the URL it is served from: queries and mutations over HTTP, subscriptions over
    a websocket to the same path (ws:// or wss:// as the page's scheme), graphql-transport-ws.
    """
    return _PAGE.read_text(encoding="utf-8").replace("{{ASSETS}}", assets_path.rstrip("/"))

"""The GraphiQL playground at GET /graphql works offline, in a real browser.

The page and every file it loads come from the server itself (no CDN), queries run from it over
HTTP and subscriptions over a websocket to the same /graphql. The browser is Debian's Chromium
driven by Playwright (whose own browser download is not available here); where it is missing the
browser tests skip, except in CI, where they fail.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    Page,
    Response,
    WebSocket,
    expect,
    sync_playwright,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import service_unavailable
from tests.e2e.graphql_http import gql
from tests.e2e.processes import Server, environment, running_server

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]
TIMEOUT_MS = 30_000
LOCAL_HOST = "127.0.0.1"
OFFSITE_HTTP = re.compile(r"^https?://(?!127\.0\.0\.1[:/])", re.IGNORECASE)

QUERY = "{ projections { name } }"
SUBSCRIPTION = (
    'subscription { viewsCaughtUp(position: "0", views: [ORDER_DETAILS]) { timedOut views } }'
)

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESPONSE = ".graphiql-response"
RESPONSE_EDITOR = ".graphiql-response .CodeMirror"
EXECUTE = ".graphiql-execute-button"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real `orders serve`, on SQLite only: the page does not depend on the database."""
    workdir = tmp_path_factory.mktemp("server")
    database_url = f"sqlite+aiosqlite:///{workdir}/orders.db"
    with running_server(workdir, environment(DATABASE_URL=database_url)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        yield http


# --- the page as served, without a browser ------------------------------------------------------

HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
REMOTE_URL = re.compile(r"(?:https?:|wss?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


def ide_page(client: httpx.Client) -> str:
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_the_page_and_its_files_come_from_the_server_alone(client: httpx.Client) -> None:
    html = ide_page(client)
    code = HTML_COMMENT.sub("", html)
    assert not REMOTE_URL.findall(code), "the page must name no remote URL"

    assets = re.findall(r'(?:src|href)="(/[^"]+)"', code)
    scripts = [a for a in assets if a.endswith(".js")]
    styles = [a for a in assets if a.endswith(".css")]
    assert len(scripts) >= 3, assets  # react, react-dom, graphiql at least
    assert styles, assets
    for path in assets:
        response = client.get(path)
        assert response.status_code == 200, f"GET {path}: {response.status_code}"
        expected = "javascript" if path.endswith(".js") else "text/css"
        assert expected in response.headers["content-type"], (path, response.headers)
        if path.endswith(".css"):
            remote = REMOTE_URL.findall(CSS_COMMENT.sub("", response.text))
            assert not remote, f"{path} loads {remote}"


def test_api_clients_still_get_json_not_the_page(client: httpx.Client) -> None:
    # Only a browser's GET (Accept: text/html) gets the page.
    got = client.get("/graphql", params={"query": QUERY}, headers={"Accept": "application/json"})
    assert got.headers["content-type"].startswith("application/json"), got.text
    assert "projections" in gql(client, QUERY)


# --- in the browser ------------------------------------------------------------------------------


@dataclass
class Traffic:
    """What the page asked of the network: every request, websocket and frame, and failures."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    frames_sent: list[dict[str, Any]] = field(default_factory=list)
    frames_received: list[dict[str, Any]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def offsite(self) -> list[str]:
        """The URLs that went anywhere but this machine's server (data: and blob: stay local)."""
        return [
            url
            for url in [*self.requests, *self.websockets]
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).hostname != LOCAL_HOST
        ]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        service_unavailable(
            "Chromium", f"{CHROMIUM} is missing; install it with `apt-get install -y chromium`"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def playground(browser: Browser, server: Server) -> Iterator[tuple[Page, Traffic]]:
    """A fresh browser context on GET /graphql, recording its traffic, the editor ready."""
    traffic = Traffic()
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    # Recorded, then refused: whatever the page asks of another host never leaves the machine.
    context.route(OFFSITE_HTTP, lambda route: route.abort("blockedbyclient"))
    context.on("request", lambda request: traffic.requests.append(request.url))
    context.on("response", lambda response: record_response(response, traffic))
    context.on(
        "requestfailed",
        lambda request: traffic.failed.append(f"{request.failure} {request.url}"),
    )
    page = context.new_page()
    page.on("pageerror", lambda error: traffic.page_errors.append(str(error)))
    page.on("websocket", lambda ws: record_websocket(ws, traffic))
    try:
        page.goto(f"{server.base_url}/graphql")
        try:
            page.locator(QUERY_EDITOR).wait_for(state="visible")
        except PlaywrightTimeoutError:
            pytest.fail(
                f"GraphiQL's editor did not show within {TIMEOUT_MS} ms; requests to other hosts "
                f"(refused): {traffic.offsite()}; failed: {traffic.failed}; "
                f"page errors: {traffic.page_errors}"
            )
        yield page, traffic
    finally:
        context.close()


def record_response(response: Response, traffic: Traffic) -> None:
    if response.status >= 400:
        traffic.failed.append(f"{response.status} {response.url}")


def record_websocket(ws: WebSocket, traffic: Traffic) -> None:
    traffic.websockets.append(ws.url)
    ws.on("framesent", lambda payload: traffic.frames_sent.append(as_message(payload)))
    ws.on("framereceived", lambda payload: traffic.frames_received.append(as_message(payload)))


def as_message(payload: str | bytes) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(payload)
    return message


def run_from_the_editor(page: Page, operation: str) -> None:
    """Type `operation` into the query editor, as a person would, and press the run button."""
    page.locator(QUERY_EDITOR).click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(operation)
    # At once, faster than GraphiQL's own parse of the editor (100 ms after the last change):
    # the page tells a subscription (websocket) from the text it sends, not from that parse.
    page.locator(EXECUTE).click()


def shown_result(page: Page, expected_text: str) -> dict[str, Any]:
    """The JSON in the result pane, once it shows `expected_text`."""
    expect(page.locator(RESPONSE)).to_contain_text(expected_text)
    text = page.locator(RESPONSE_EDITOR).evaluate("element => element.CodeMirror.getValue()")
    result: dict[str, Any] = json.loads(text)
    return result


def assert_all_local_and_fine(traffic: Traffic, server: Server) -> None:
    assert traffic.requests, "the browser recorded no request at all"
    assert not traffic.offsite(), (
        f"the page asked hosts other than the server (refused): {traffic.offsite()}"
    )
    assert not traffic.failed, f"failed requests: {traffic.failed}\n{server.log()}"
    assert not traffic.page_errors, f"errors on the page: {traffic.page_errors}"


def test_the_page_loads_the_schema_for_its_docs(
    playground: tuple[Page, Traffic], server: Server
) -> None:
    # GraphiQL's introspection query must pass the server's limits, or docs and completion die.
    page, traffic = playground

    page.get_by_role("button", name="Show Documentation Explorer").click()

    docs = page.locator(".graphiql-doc-explorer")
    expect(docs).to_contain_text("query: Query")
    expect(docs).to_contain_text("subscription: Subscription")
    assert_all_local_and_fine(traffic, server)


def test_a_query_runs_from_the_page(
    playground: tuple[Page, Traffic], server: Server, client: httpx.Client
) -> None:
    page, traffic = playground

    run_from_the_editor(page, QUERY)

    shown = shown_result(page, '"projections"')
    assert shown["data"] == gql(client, QUERY)
    assert shown["data"]["projections"], "the server has projections to list"
    # The page's own files and the query, all from the server under test.
    base = server.base_url
    assert f"{base}/graphql" in traffic.requests
    assert any(url.startswith(f"{base}/graphiql-assets/") for url in traffic.requests)
    assert_all_local_and_fine(traffic, server)


def test_a_subscription_runs_from_the_page_over_a_websocket(
    playground: tuple[Page, Traffic], server: Server
) -> None:
    page, traffic = playground

    run_from_the_editor(page, SUBSCRIPTION)

    shown = shown_result(page, '"viewsCaughtUp"')
    assert shown["data"] == {"viewsCaughtUp": {"timedOut": False, "views": ["ORDER_DETAILS"]}}
    # It went over graphql-transport-ws to the same /graphql, not over HTTP.
    ws_url = server.base_url.replace("http://", "ws://", 1) + "/graphql"
    assert traffic.websockets == [ws_url]
    assert [m["type"] for m in traffic.frames_sent][:2] == ["connection_init", "subscribe"]
    received = [m["type"] for m in traffic.frames_received]
    assert received[0] == "connection_ack"
    assert "next" in received, traffic.frames_received
    assert_all_local_and_fine(traffic, server)

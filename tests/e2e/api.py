"""A thin GraphQL client for the e2e tests: the contract's mutations and the audit query."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class Server:
    """The running server under test: where to reach it, and what it has printed."""

    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


RESULT = "ok commandId aggregateId version position replayed errors { code message field } caughtUp"


def _mutation(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {RESULT} }} }}"


REGISTER_CUSTOMER = _mutation("registerCustomer", "RegisterCustomerInput")
ADD_PRODUCT = _mutation("addProduct", "AddProductInput")
RESTOCK_PRODUCT = _mutation("restockProduct", "RestockProductInput")
CHANGE_PRODUCT_PRICE = _mutation("changeProductPrice", "ChangeProductPriceInput")
CREATE_ORDER = _mutation("createOrder", "CreateOrderInput")
UPDATE_ORDER_STATUS = _mutation("updateOrderStatus", "UpdateOrderStatusInput")
CANCEL_ORDER = _mutation("cancelOrder", "CancelOrderInput")

ORDER_HISTORY = """
query($orderId: ID!) {
  orderHistory(orderId: $orderId) {
    position streamId version type data payload recordedAt commandId
  }
}
"""


def new_id() -> str:
    return str(uuid.uuid4())


def post_graphql(
    client: httpx.Client, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    # ASCII JSON, as many clients send it: any string fits, a lone surrogate too (\ud800).
    body = json.dumps({"query": query, "variables": variables or {}})
    return client.post("/graphql", content=body, headers={"content-type": "application/json"})


def gql(client: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    """Run an operation that must succeed at the GraphQL level; its `data`."""
    response = post_graphql(client, query, variables)
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text}"
    body = response.json()
    assert "errors" not in body, f"unexpected GraphQL errors: {body['errors']}"
    data: dict[str, Any] = body["data"]
    return data


def _command(
    client: httpx.Client, query: str, field: str, payload: dict[str, Any]
) -> dict[str, Any]:
    result: dict[str, Any] = gql(client, query, input=payload)[field]
    return result


def send_concurrently(
    base_url: str, query: str, inputs: Sequence[dict[str, Any]], *, stagger_s: float = 0.0
) -> list[dict[str, Any]]:
    """Send `query` once per input, concurrently, each on its own connection; results in order.

    With `stagger_s`, the n-th request leaves n * stagger_s after the first, so that the
    requests overlap the server's work at every stage rather than all arriving first.
    """

    async def send_all() -> list[dict[str, Any]]:
        limits = httpx.Limits(max_connections=len(inputs), max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as http:

            async def send(n: int, payload: dict[str, Any]) -> dict[str, Any]:
                await asyncio.sleep(n * stagger_s)
                body = {"query": query, "variables": {"input": payload}}
                response = await http.post("/graphql", json=body)
                assert response.status_code == 200, f"HTTP {response.status_code}: {response.text}"
                answer = response.json()
                assert "errors" not in answer, f"unexpected GraphQL errors: {answer['errors']}"
                result: dict[str, Any] = next(iter(answer["data"].values()))
                return result

            return list(await asyncio.gather(*(send(n, p) for n, p in enumerate(inputs))))

    return asyncio.run(send_all())


# --- one helper per mutation: sensible unique defaults, any field overridable --------------


def register_customer(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    payload = {"name": "Ada Lovelace", "email": f"ada-{new_id()}@example.com"} | fields
    return _command(client, REGISTER_CUSTOMER, "registerCustomer", payload)


def add_product(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    payload = {
        "sku": f"SKU-{new_id()}",
        "name": "Teapot",
        "description": "Short and stout",
        "priceCents": 2500,
        "initialStock": 10,
    } | fields
    return _command(client, ADD_PRODUCT, "addProduct", payload)


def restock_product(
    client: httpx.Client, product_id: str, quantity: int, **fields: Any
) -> dict[str, Any]:
    payload = {"productId": product_id, "quantity": quantity} | fields
    return _command(client, RESTOCK_PRODUCT, "restockProduct", payload)


def change_product_price(
    client: httpx.Client, product_id: str, price_cents: int, **fields: Any
) -> dict[str, Any]:
    payload = {"productId": product_id, "priceCents": price_cents} | fields
    return _command(client, CHANGE_PRODUCT_PRICE, "changeProductPrice", payload)


def lines(*items: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"productId": product_id, "quantity": quantity} for product_id, quantity in items]


def create_order(
    client: httpx.Client, customer_id: str, *items: tuple[str, int], **fields: Any
) -> dict[str, Any]:
    payload = {
        "customerId": customer_id,
        "items": lines(*items),
        "shippingAddress": "12 Analytical Row, London",
    } | fields
    return _command(client, CREATE_ORDER, "createOrder", payload)


def update_order_status(
    client: httpx.Client, order_id: str, status: str, **fields: Any
) -> dict[str, Any]:
    payload = {"orderId": order_id, "status": status} | fields
    return _command(client, UPDATE_ORDER_STATUS, "updateOrderStatus", payload)


def cancel_order(
    client: httpx.Client, order_id: str, reason: str = "changed my mind", **fields: Any
) -> dict[str, Any]:
    payload = {"orderId": order_id, "reason": reason} | fields
    return _command(client, CANCEL_ORDER, "cancelOrder", payload)


def order_history(client: httpx.Client, order_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = gql(client, ORDER_HISTORY, orderId=order_id)["orderHistory"]
    return events


# --- assertions on a CommandResult ----------------------------------------------------------


def accepted(result: dict[str, Any], *, version: int | None = None) -> dict[str, Any]:
    """Assert the command was accepted and wrote something new; the result, for chaining."""
    assert result["ok"] is True, result
    assert result["errors"] == []
    assert result["replayed"] is False
    assert result["commandId"]
    assert result["aggregateId"]
    assert str(uuid.UUID(result["aggregateId"])) == result["aggregateId"], "a canonical UUID"
    assert isinstance(result["position"], str) and result["position"].isdecimal(), result[
        "position"
    ]
    assert int(result["position"]) > 0
    if version is not None:
        assert result["version"] == version, result
    assert result["caughtUp"] == []
    return result


def refused(result: dict[str, Any], code: str, field: str | None) -> dict[str, Any]:
    """Assert the command was refused with exactly one error, of this code, on this field."""
    assert result["ok"] is False, result
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)], result["errors"]
    assert all(e["message"] for e in result["errors"])
    assert result["commandId"]
    assert result["replayed"] is False
    assert (result["aggregateId"], result["version"], result["position"]) == (None, None, None)
    return result


def position(result: dict[str, Any]) -> int:
    return int(result["position"])


# --- the read side: queries against the views ---------------------------------------------

WAIT_FOR_VIEWS_TIMEOUT_S = 5.0

PROJECTIONS = "{ projections { name view position headPosition lag state error updatedAt } }"

ORDER_FIELDS = """
  id customerId customerName customerEmail status
  items { productId productName unitPriceCents quantity lineTotalCents }
  itemCount totalCents shippingAddress cancelReason createdAt updatedAt version
"""
ORDER_PAGE = f"edges {{ cursor node {{ {ORDER_FIELDS} }} }} nodes {{ {ORDER_FIELDS} }} " + (
    "pageInfo { hasNextPage endCursor }"
)
PRODUCT_FIELDS = "id sku name description priceCents stockOnHand reserved available version"
PRODUCT_PAGE = f"edges {{ cursor node {{ {PRODUCT_FIELDS} }} }} nodes {{ {PRODUCT_FIELDS} }} " + (
    "pageInfo { hasNextPage endCursor }"
)

ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
CUSTOMER_ORDERS = f"""
query($customerId: ID!, $first: Int, $after: String, $status: OrderStatus) {{
  customerOrders(customerId: $customerId, first: $first, after: $after, status: $status) {{
    {ORDER_PAGE}
  }}
}}
"""
SEARCH_ORDERS = f"""
query($text: String, $status: OrderStatus, $minTotalCents: Int, $maxTotalCents: Int,
      $createdFrom: DateTime, $createdTo: DateTime, $first: Int, $after: String) {{
  searchOrders(text: $text, status: $status, minTotalCents: $minTotalCents,
               maxTotalCents: $maxTotalCents, createdFrom: $createdFrom, createdTo: $createdTo,
               first: $first, after: $after) {{
    {ORDER_PAGE}
  }}
}}
"""
PRODUCT = f"query($id: ID!) {{ product(id: $id) {{ {PRODUCT_FIELDS} }} }}"
PRODUCTS = f"""
query($text: String, $first: Int, $after: String) {{
  products(text: $text, first: $first, after: $after) {{ {PRODUCT_PAGE} }}
}}
"""
CUSTOMER = "query($id: ID!) { customer(id: $id) { id name email orderCount lifetimeValueCents } }"
SALES_REPORT = """
query($from: Date!, $to: Date!) {
  salesReport(from: $from, to: $to) { day orders itemsSold revenueCents }
}
"""
TOP_PRODUCTS = """
query($limit: Int) { topProducts(limit: $limit) { productId productName unitsSold revenueCents } }
"""


def projections(client: httpx.Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = gql(client, PROJECTIONS)["projections"]
    return found


def wait_for_views(
    client: httpx.Client, at_least: int | str, timeout_s: float = WAIT_FOR_VIEWS_TIMEOUT_S
) -> list[dict[str, Any]]:
    """Poll until every projection has applied the log up to `at_least` (a CommandResult's
    position); the projections as last seen. Fails the test after `timeout_s`."""
    wanted = int(at_least)
    deadline = time.monotonic() + timeout_s
    while True:
        seen = projections(client)
        behind = [p for p in seen if int(p["position"]) < wanted]
        if seen and not behind:
            return seen
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"views did not reach position {wanted} within {timeout_s} s: {behind}"
            )
        time.sleep(0.02)


def settle(client: httpx.Client, *results: dict[str, Any]) -> None:
    """Wait for the views to reach the latest position among these CommandResults."""
    wait_for_views(client, max(int(r["position"]) for r in results if r["position"]))


def get_order(client: httpx.Client, order_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = gql(client, ORDER, id=order_id)["order"]
    return found


def customer_orders(client: httpx.Client, customer_id: str, **args: Any) -> dict[str, Any]:
    page: dict[str, Any] = gql(client, CUSTOMER_ORDERS, customerId=customer_id, **args)[
        "customerOrders"
    ]
    return page


def search_orders(client: httpx.Client, **args: Any) -> dict[str, Any]:
    page: dict[str, Any] = gql(client, SEARCH_ORDERS, **args)["searchOrders"]
    return page


def get_product(client: httpx.Client, product_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = gql(client, PRODUCT, id=product_id)["product"]
    return found


def list_products(client: httpx.Client, **args: Any) -> dict[str, Any]:
    page: dict[str, Any] = gql(client, PRODUCTS, **args)["products"]
    return page


def get_customer(client: httpx.Client, customer_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = gql(client, CUSTOMER, id=customer_id)["customer"]
    return found


def sales_report(client: httpx.Client, first_day: str, last_day: str) -> list[dict[str, Any]]:
    days: list[dict[str, Any]] = gql(client, SALES_REPORT, **{"from": first_day, "to": last_day})[
        "salesReport"
    ]
    return days


def top_products(client: httpx.Client, limit: int | None = None) -> list[dict[str, Any]]:
    variables = {} if limit is None else {"limit": limit}
    found: list[dict[str, Any]] = gql(client, TOP_PRODUCTS, **variables)["topProducts"]
    return found


def all_pages(
    fetch: Callable[..., dict[str, Any]], first: int, *, max_pages: int = 50
) -> list[dict[str, Any]]:
    """Every page of a connection, `first` at a time, following `endCursor`."""
    pages: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(max_pages):
        page = fetch(first=first, after=after)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
    raise AssertionError(f"still more pages after {max_pages}")


def query_errors(client: httpx.Client, query: str, **variables: Any) -> list[dict[str, Any]]:
    """The GraphQL errors of an operation that must be refused as a GraphQL error: an answer
    (HTTP 200 or 400, never a 5xx) with a non-empty `errors` and no data for the field."""
    response = post_graphql(client, query, variables)
    assert response.status_code in (200, 400), f"HTTP {response.status_code}: {response.text}"
    body = response.json()
    assert body.get("errors"), f"expected GraphQL errors, got {body}"
    data = body.get("data")
    assert data is None or all(value is None for value in data.values()), body
    errors: list[dict[str, Any]] = body["errors"]
    return errors


# --- websockets: subscriptions through the real `gql` client ------------------------------
# (their imports are here, at the end, so that the helpers above are left as they were)

import contextlib  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402

from gql import Client  # noqa: E402
from gql import GraphQLRequest as Request  # noqa: E402
from gql.client import AsyncClientSession  # noqa: E402
from gql.transport.websockets import WebsocketsTransport  # noqa: E402

# The two websocket subprotocols the server speaks: the current one and the legacy (Apollo).
GRAPHQL_TRANSPORT_WS = WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL  # "graphql-transport-ws"
GRAPHQL_WS = WebsocketsTransport.APOLLO_SUBPROTOCOL  # "graphql-ws"
SUBPROTOCOLS = (GRAPHQL_TRANSPORT_WS, GRAPHQL_WS)

ALL_VIEWS = (
    "ORDER_DETAILS",
    "CUSTOMER_ORDERS",
    "ORDER_SEARCH",
    "PRODUCT_CATALOG",
    "CUSTOMER_SUMMARY",
    "SALES_REPORT",
)

VIEWS_CAUGHT_UP = """
subscription($position: Position!, $views: [View!]!, $timeoutMs: Int) {
  viewsCaughtUp(position: $position, views: $views, timeoutMs: $timeoutMs) {
    position views timedOut
  }
}
"""
ORDER_CHANGED = f"subscription($id: ID!) {{ orderChanged(id: $id) {{ {ORDER_FIELDS} }} }}"
PROJECTION_PROGRESS = (
    "subscription { projectionProgress { name view position headPosition lag state error } }"
)


def ws_url(server: Server) -> str:
    return server.base_url.replace("http://", "ws://", 1) + "/graphql"


def ws_client(server: Server, subprotocol: str) -> Client:
    """A gql client over one websocket that offers the server exactly one subprotocol."""
    transport = WebsocketsTransport(
        url=ws_url(server),
        subprotocols=[subprotocol],
        connect_timeout=10,
        ack_timeout=10,
        close_timeout=5,
    )
    return Client(transport=transport)


@contextlib.asynccontextmanager
async def ws_session(server: Server, subprotocol: str) -> AsyncIterator[AsyncClientSession]:
    """A connected session (connection_init acknowledged) on its own websocket."""
    client = ws_client(server, subprotocol)
    async with client as session:
        transport = client.transport
        assert isinstance(transport, WebsocketsTransport)
        assert transport.subprotocol == subprotocol, "the server picked another subprotocol"
        yield session


def request(document: str, **variables: Any) -> Request:
    return Request(document, variable_values=variables or None)


class Subscription:
    """A subscription read in the background, so that waiting for a message with a timeout
    never cancels (and so ends) the subscription itself."""

    _END = object()

    def __init__(self, session: AsyncClientSession, document: str, **variables: Any) -> None:
        self._messages: asyncio.Queue[Any] = asyncio.Queue()
        self._reading = asyncio.ensure_future(self._read(session, request(document, **variables)))

    async def _read(self, session: AsyncClientSession, document: Request) -> None:
        try:
            async for message in session.subscribe(document):
                self._messages.put_nowait(message)
        except Exception as error:
            self._messages.put_nowait(error)
        finally:
            self._messages.put_nowait(self._END)

    async def next(self, timeout_s: float) -> dict[str, Any]:
        """The next message; fails the test if none comes within `timeout_s` or it ended."""
        try:
            message = await asyncio.wait_for(self._messages.get(), timeout_s)
        except TimeoutError:
            raise AssertionError(f"no subscription message within {timeout_s} s") from None
        if message is self._END:
            raise AssertionError("the subscription ended")
        if isinstance(message, Exception):
            raise message
        result: dict[str, Any] = message
        return result

    async def nothing_within(self, seconds: float) -> None:
        """Fails the test if a message (or the end) comes within `seconds`."""
        try:
            extra = await asyncio.wait_for(self._messages.get(), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"an unexpected message: {extra!r}")

    async def close(self) -> None:
        self._reading.cancel()
        await asyncio.gather(self._reading, return_exceptions=True)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


async def all_messages(
    session: AsyncClientSession, document: str, timeout_s: float = 10.0, **variables: Any
) -> list[dict[str, Any]]:
    """Every message of a subscription that must complete by itself within `timeout_s`."""

    async def collect() -> list[dict[str, Any]]:
        return [message async for message in session.subscribe(request(document, **variables))]

    try:
        return await asyncio.wait_for(collect(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"the subscription did not complete within {timeout_s} s") from None


async def agql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """`gql` for an async HTTP client: an operation that must succeed; its `data`."""
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text}"
    body = response.json()
    assert "errors" not in body, f"unexpected GraphQL errors: {body['errors']}"
    data: dict[str, Any] = body["data"]
    return data


def with_wait_for(mutation: str) -> str:
    """A mutation document from `_mutation` that also takes `$waitFor` and `$timeoutMs`."""
    head, _, rest = mutation.partition(") {")
    name, _, tail = rest.strip().partition("(input: $input)")
    return (
        f"{head}, $waitFor: [View!], $timeoutMs: Int) {{ "
        f"{name}(input: $input, waitFor: $waitFor, timeoutMs: $timeoutMs){tail}"
    )


def log_problems(server: Server) -> list[str]:
    """The lines of the server's output that tell of an error on its side."""
    markers = ("Traceback", "ERROR", "CRITICAL", "Exception in ASGI", "Task exception")
    return [line for line in server.log().splitlines() if any(m in line for m in markers)]

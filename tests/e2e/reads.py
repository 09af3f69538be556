"""The read side: query documents and helpers for the views and the audit log, waiting
for the views to catch up, and paging through a connection."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.graphql_http import gql

WAIT_FOR_VIEWS_TIMEOUT_S = 5.0

PROJECTIONS = "{ projections { name view position headPosition lag state error updatedAt } }"

ORDER_HISTORY = """
query($orderId: ID!) {
  orderHistory(orderId: $orderId) {
    position streamId version type data payload recordedAt commandId
  }
}
"""

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


def order_history(client: httpx.Client, order_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = gql(client, ORDER_HISTORY, orderId=order_id)["orderHistory"]
    return events

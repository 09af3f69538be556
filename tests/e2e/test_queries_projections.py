"""projections: each view's projection, where it has got to, and whether it is healthy."""

import time
from datetime import datetime, timedelta

import httpx

from tests.e2e.commands import accepted, add_product, create_order, position, register_customer
from tests.e2e.reads import WAIT_FOR_VIEWS_TIMEOUT_S, projections, wait_for_views

VIEWS = {
    "order_details": "ORDER_DETAILS",
    "customer_orders": "CUSTOMER_ORDERS",
    "order_search": "ORDER_SEARCH",
    "product_catalog": "PRODUCT_CATALOG",
    "customer_summary": "CUSTOMER_SUMMARY",
    "sales_report": "SALES_REPORT",
}


def write_an_order(client: httpx.Client) -> dict:
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client))["aggregateId"]
    return accepted(create_order(client, customer_id, (product_id, 1)))


def caught_up(client: httpx.Client) -> list[dict]:
    """The projections once each has lag 0 (polled, bounded)."""
    deadline = time.monotonic() + WAIT_FOR_VIEWS_TIMEOUT_S
    while True:
        seen = projections(client)
        if all(p["lag"] == 0 for p in seen) or time.monotonic() >= deadline:
            return seen
        time.sleep(0.02)


def test_each_view_has_its_projection(client: httpx.Client):
    seen = projections(client)

    views = {p["name"]: p["view"] for p in seen if p["view"] is not None}
    assert views == VIEWS
    names = [p["name"] for p in seen]
    assert len(names) == len(set(names)), names


def test_positions_are_decimal_strings(client: httpx.Client):
    write_an_order(client)

    for projection in projections(client):
        for field in ("position", "headPosition"):
            value = projection[field]
            assert isinstance(value, str) and value.isdecimal(), (projection["name"], field, value)
        assert isinstance(projection["lag"], int)
        assert projection["lag"] == max(
            int(projection["headPosition"]) - int(projection["position"]), 0
        )


def test_the_head_is_at_least_the_last_write_at_once(client: httpx.Client):
    written = write_an_order(client)

    for projection in projections(client):
        assert int(projection["headPosition"]) >= position(written), projection


def test_after_catching_up_every_view_is_running_at_the_head_with_lag_zero(client: httpx.Client):
    written = write_an_order(client)
    wait_for_views(client, written["position"])

    seen = caught_up(client)

    by_name = {p["name"]: p for p in seen}
    assert set(VIEWS) <= set(by_name)
    for name in VIEWS:
        projection = by_name[name]
        assert projection["lag"] == 0, projection
        assert projection["state"] == "RUNNING", projection
        assert projection["error"] is None, projection
        assert projection["position"] == projection["headPosition"] == written["position"], (
            projection
        )
        updated = datetime.fromisoformat(projection["updatedAt"])
        assert updated.utcoffset() == timedelta(0), projection["updatedAt"]


def test_positions_move_on_with_new_writes(client: httpx.Client):
    first = write_an_order(client)
    wait_for_views(client, first["position"])
    second = write_an_order(client)
    assert position(second) > position(first)

    seen = wait_for_views(client, second["position"])

    for projection in seen:
        if projection["name"] in VIEWS:
            assert int(projection["position"]) >= position(second), projection

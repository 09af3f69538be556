"""customer(id), salesReport(from, to) and topProducts(limit): the summary views."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.commands import (
    accepted,
    add_product,
    cancel_order,
    change_product_price,
    create_order,
    new_id,
    register_customer,
    update_order_status,
)
from tests.e2e.graphql_http import post_graphql, query_errors
from tests.e2e.reads import (
    SALES_REPORT,
    TOP_PRODUCTS,
    get_customer,
    get_product,
    sales_report,
    settle,
    top_products,
)

# --- customer(id) ----------------------------------------------------------------------------


def test_a_new_customer_has_no_orders_and_no_value(client: httpx.Client):
    email = f"Mixed.Case-{new_id()}@Example.com"
    registered = accepted(register_customer(client, name="Edsger Dijkstra", email=email))
    settle(client, registered)

    assert get_customer(client, registered["aggregateId"]) == {
        "id": registered["aggregateId"],
        "name": "Edsger Dijkstra",
        "email": email,
        "orderCount": 0,
        "lifetimeValueCents": 0,
    }


def test_cancelled_orders_count_as_orders_but_not_as_value(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, priceCents=1250, initialStock=100))["aggregateId"]
    kept = accepted(create_order(client, customer_id, (product_id, 2)))  # 2500
    dropped = accepted(create_order(client, customer_id, (product_id, 4)))  # 5000
    shipped = accepted(create_order(client, customer_id, (product_id, 1)))  # 1250
    results = [
        accepted(update_order_status(client, shipped["aggregateId"], "CONFIRMED")),
        accepted(update_order_status(client, shipped["aggregateId"], "SHIPPED")),
        accepted(change_product_price(client, product_id, 99_999)),  # placed orders keep theirs
    ]
    settle(client, kept, dropped, shipped, *results)
    before = get_customer(client, customer_id)
    assert before is not None
    assert (before["orderCount"], before["lifetimeValueCents"]) == (3, 8750)

    settle(client, accepted(cancel_order(client, dropped["aggregateId"])))

    after = get_customer(client, customer_id)
    assert after is not None
    assert (after["orderCount"], after["lifetimeValueCents"]) == (3, 3750)


def test_another_customers_orders_do_not_count(client: httpx.Client):
    mine = accepted(register_customer(client))["aggregateId"]
    theirs = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, priceCents=100))["aggregateId"]
    settle(client, accepted(create_order(client, theirs, (product_id, 3))))

    customer = get_customer(client, mine)

    assert customer is not None
    assert (customer["orderCount"], customer["lifetimeValueCents"]) == (0, 0)


def test_an_unknown_customer_is_null_and_a_malformed_id_an_error(client: httpx.Client):
    assert get_customer(client, new_id()) is None
    response = post_graphql(
        client, "query($id: ID!) { customer(id: $id) { id } }", {"id": "not-a-customer-id"}
    )
    assert [e["message"] for e in response.json()["errors"]] == ["id must be a UUID"]


# --- salesReport(from, to) -------------------------------------------------------------------


def days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2001-02-25", "2001-03-02"),  # not a leap year
        ("2024-02-27", "2024-03-01"),  # a leap year
        ("2001-12-31", "2001-12-31"),  # one day
        ("2024-01-01", "2024-12-31"),  # a whole leap year
    ],
)
def test_every_day_of_the_range_has_a_row_even_without_orders(client: httpx.Client, first, last):
    report = sales_report(client, first, last)

    assert [row["day"] for row in report] == days(first, last)
    assert all(
        (row["orders"], row["itemsSold"], row["revenueCents"]) == (0, 0, 0) for row in report
    )


def totals(report: list[dict[str, Any]]) -> tuple[int, int, int]:
    return (
        sum(row["orders"] for row in report),
        sum(row["itemsSold"] for row in report),
        sum(row["revenueCents"] for row in report),
    )


def around_today(client: httpx.Client) -> list[dict[str, Any]]:
    """Yesterday, today and tomorrow (UTC): an order placed now lands in one of them, even
    when the test runs across midnight."""
    today = datetime.now(UTC).date()
    first, last = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()
    report = sales_report(client, first, last)
    assert [row["day"] for row in report] == days(first, last)
    return report


def test_todays_sales_add_up_and_a_cancelled_order_leaves_them(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    mugs = accepted(add_product(client, priceCents=1500, initialStock=50))["aggregateId"]
    jars = accepted(add_product(client, priceCents=800, initialStock=50))["aggregateId"]
    settle(client, accepted(register_customer(client)))
    start = totals(around_today(client))

    kept = accepted(create_order(client, customer_id, (mugs, 2), (jars, 1)))  # 3 items, 3800
    dropped = accepted(create_order(client, customer_id, (mugs, 1)))  # 1 item, 1500
    shipped = accepted(update_order_status(client, kept["aggregateId"], "CONFIRMED"))
    repriced = accepted(change_product_price(client, mugs, 1))
    settle(client, kept, dropped, shipped, repriced)
    placed = around_today(client)
    today = datetime.now(UTC).date().isoformat()
    assert any(row["day"] == today and row["orders"] >= 2 for row in placed), placed
    assert tuple(n - s for n, s in zip(totals(placed), start, strict=True)) == (2, 4, 5300)

    settle(client, accepted(cancel_order(client, dropped["aggregateId"])))

    after = totals(around_today(client))
    assert tuple(n - s for n, s in zip(after, start, strict=True)) == (1, 3, 3800)


def test_to_before_from_is_a_graphql_error(client: httpx.Client):
    errors = query_errors(client, SALES_REPORT, **{"from": "2024-03-02", "to": "2024-03-01"})

    assert any("to" in error["message"] for error in errors), errors


def test_a_malformed_date_is_a_graphql_error(client: httpx.Client):
    assert query_errors(client, SALES_REPORT, **{"from": "2024-02-30", "to": "2024-03-01"})
    assert query_errors(client, SALES_REPORT, **{"from": "yesterday", "to": "2024-03-01"})


# --- topProducts(limit) ----------------------------------------------------------------------


def test_top_products_are_ranked_by_revenue_with_matching_figures(client: httpx.Client):
    # Prices far above every other test's, so these two lead the ranking.
    gold = accepted(
        add_product(client, name=f"Gold {new_id()}", priceCents=2_000_000, initialStock=100)
    )
    silver = accepted(
        add_product(client, name=f"Silver {new_id()}", priceCents=700_000, initialStock=100)
    )
    customer_id = accepted(register_customer(client))["aggregateId"]
    g, s = gold["aggregateId"], silver["aggregateId"]
    orders = [
        accepted(create_order(client, customer_id, (g, 2), (s, 3))),  # 4.0M + 2.1M
        accepted(create_order(client, customer_id, (g, 1))),  # 2.0M
        accepted(create_order(client, customer_id, (s, 5))),  # 3.5M, cancelled below
        accepted(create_order(client, customer_id, (s, 2))),  # 1.4M
    ]
    last = [
        accepted(cancel_order(client, orders[2]["aggregateId"])),
        accepted(change_product_price(client, g, 5)),  # sold units keep their price
    ]
    settle(client, *orders, *last)

    ranking = top_products(client, limit=2)

    assert ranking == [
        {
            "productId": g,
            "productName": name_of(client, g),
            "unitsSold": 3,
            "revenueCents": 6_000_000,
        },
        {
            "productId": s,
            "productName": name_of(client, s),
            "unitsSold": 5,
            "revenueCents": 3_500_000,
        },
    ]
    assert top_products(client, limit=1) == ranking[:1]


def name_of(client: httpx.Client, product_id: str) -> str:
    product = get_product(client, product_id)
    assert product is not None
    name: str = product["name"]
    return name


def test_top_products_default_to_ten_best_first(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    placed = []
    for n in range(12):
        product_id = accepted(add_product(client, priceCents=100 + n))["aggregateId"]
        placed.append(accepted(create_order(client, customer_id, (product_id, 1))))
    settle(client, *placed)

    ranking = top_products(client)

    assert len(ranking) == 10
    revenues = [row["revenueCents"] for row in ranking]
    assert revenues == sorted(revenues, reverse=True)
    assert len({row["productId"] for row in ranking}) == 10


@pytest.mark.parametrize("limit", [0, 101])
def test_a_limit_out_of_range_is_a_graphql_error(client: httpx.Client, limit):
    assert query_errors(client, TOP_PRODUCTS, limit=limit)


def test_a_limit_out_of_range_is_reported_as_the_limit(client: httpx.Client):
    errors = query_errors(client, TOP_PRODUCTS, limit=0)

    assert any("limit" in error["message"] for error in errors), errors

"""Many clients at once over HTTP: stock is never oversold, and losers hear the real reason."""

from collections import Counter

import httpx

from tests.e2e.commands import (
    CREATE_ORDER,
    accepted,
    add_product,
    create_order,
    lines,
    new_id,
    refused,
    register_customer,
    restock_product,
)
from tests.e2e.graphql_http import send_concurrently
from tests.e2e.processes import Server
from tests.e2e.reads import order_history


def test_thirty_buyers_racing_for_ten_units_leave_twenty_refused(
    client: httpx.Client, server: Server
):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, initialStock=10))["aggregateId"]
    orders = [
        {
            "orderId": new_id(),
            "customerId": customer_id,
            "items": lines((product_id, 1)),
            "shippingAddress": f"Flat {n}, 1 Contention Court",
        }
        for n in range(30)
    ]

    results = send_concurrently(server.base_url, CREATE_ORDER, orders)

    outcomes = Counter("ok" if r["ok"] else r["errors"][0]["code"] for r in results)
    assert outcomes == {"ok": 10, "RULE_VIOLATED": 20}, [
        r["errors"] for r in results if not r["ok"]
    ]
    for order, result in zip(orders, results, strict=True):
        if result["ok"]:
            assert result["aggregateId"] == order["orderId"] and result["version"] == 1
        else:
            refused(result, "RULE_VIOLATED", "items.0.quantity")
    placed = [
        order["orderId"] for order, result in zip(orders, results, strict=True) if result["ok"]
    ]
    refused_ones = [
        order["orderId"] for order, result in zip(orders, results, strict=True) if not result["ok"]
    ]
    assert all(len(order_history(client, order_id)) == 1 for order_id in placed)
    assert all(order_history(client, order_id) == [] for order_id in refused_ones)
    assert len({int(r["position"]) for r in results if r["ok"]}) == 10
    # Exactly ten units are held: not one more can be had until a restock.
    refused(create_order(client, customer_id, (product_id, 1)), "RULE_VIOLATED", "items.0.quantity")
    accepted(restock_product(client, product_id, 1))
    accepted(create_order(client, customer_id, (product_id, 1)))


def test_racing_registrations_for_one_email_let_exactly_one_through(
    client: httpx.Client, server: Server
):
    email = f"race-{new_id()}@example.com"
    spellings = [email, email.upper(), email.capitalize()]
    customers = [{"name": f"Racer {n}", "email": spellings[n % 3]} for n in range(15)]

    results = send_concurrently(
        server.base_url,
        "mutation($input: RegisterCustomerInput!) "
        "{ registerCustomer(input: $input) { ok errors { code field } } }",
        customers,
    )

    assert sum(r["ok"] for r in results) == 1
    assert all(
        r["errors"] == [{"code": "CONFLICT", "field": "email"}] for r in results if not r["ok"]
    )

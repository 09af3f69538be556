"""order(id): one ORDER_DETAILS row, read back over HTTP once the views have caught up."""

from datetime import UTC, datetime, timedelta

import httpx

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
from tests.e2e.graphql_http import post_graphql
from tests.e2e.reads import get_order, settle


def utc_time(value: str) -> datetime:
    """A DateTime as served: ISO 8601 with an offset, and that offset UTC."""
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() == timedelta(0), f"not ISO 8601 with a UTC offset: {value!r}"
    return moment


def test_an_order_reads_back_with_every_field_denormalized(client: httpx.Client):
    email = f"grace-{new_id()}@example.com"
    customer_id = accepted(register_customer(client, name="Grace Hopper", email=email))[
        "aggregateId"
    ]
    teapot = accepted(add_product(client, name="Teapot", priceCents=2500, initialStock=5))
    cups = accepted(add_product(client, name="Cup", priceCents=450, initialStock=20))
    before = datetime.now(UTC)
    created = accepted(
        create_order(
            client,
            customer_id,
            (teapot["aggregateId"], 1),
            (cups["aggregateId"], 4),
            shippingAddress="1 Compiler Lane, Arlington",
        ),
        version=1,
    )
    after = datetime.now(UTC)
    settle(client, created)

    order = get_order(client, created["aggregateId"])

    assert order is not None
    assert {k: v for k, v in order.items() if k not in {"createdAt", "updatedAt"}} == {
        "id": created["aggregateId"],
        "customerId": customer_id,
        "customerName": "Grace Hopper",
        "customerEmail": email,
        "status": "PENDING",
        "items": [
            {
                "productId": teapot["aggregateId"],
                "productName": "Teapot",
                "unitPriceCents": 2500,
                "quantity": 1,
                "lineTotalCents": 2500,
            },
            {
                "productId": cups["aggregateId"],
                "productName": "Cup",
                "unitPriceCents": 450,
                "quantity": 4,
                "lineTotalCents": 1800,
            },
        ],
        "itemCount": 5,
        "totalCents": 4300,
        "shippingAddress": "1 Compiler Lane, Arlington",
        "cancelReason": None,
        "version": created["version"],
    }
    created_at, updated_at = utc_time(order["createdAt"]), utc_time(order["updatedAt"])
    assert before - timedelta(seconds=1) <= created_at <= after + timedelta(seconds=1)
    assert updated_at == created_at


def test_an_order_keeps_the_name_and_price_it_was_placed_at(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, name="Kettle", priceCents=3000))["aggregateId"]
    created = accepted(create_order(client, customer_id, (product_id, 2)))
    repriced = accepted(change_product_price(client, product_id, 9900))
    settle(client, repriced)

    order = get_order(client, created["aggregateId"])

    assert order is not None
    assert order["items"] == [
        {
            "productId": product_id,
            "productName": "Kettle",
            "unitPriceCents": 3000,
            "quantity": 2,
            "lineTotalCents": 6000,
        }
    ]
    assert (order["itemCount"], order["totalCents"]) == (2, 6000)
    assert order["version"] == 1, "a price change is not an event of the order"


def test_an_order_follows_its_status_to_delivered(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client))["aggregateId"]
    created = accepted(create_order(client, customer_id, (product_id, 1)))
    order_id = created["aggregateId"]
    settle(client, created)
    placed = get_order(client, order_id)
    assert placed is not None
    assert (placed["status"], placed["version"]) == ("PENDING", 1)
    seen_updated = [utc_time(placed["updatedAt"])]

    for status, version in (("CONFIRMED", 2), ("SHIPPED", 3), ("DELIVERED", 4)):
        result = accepted(update_order_status(client, order_id, status), version=version)
        settle(client, result)
        order = get_order(client, order_id)
        assert order is not None
        assert (order["status"], order["version"]) == (status, result["version"])
        assert order["createdAt"] == placed["createdAt"]
        assert order["cancelReason"] is None
        seen_updated.append(utc_time(order["updatedAt"]))

    assert seen_updated == sorted(seen_updated)
    assert len(set(seen_updated)) == 4, "each status change moves updatedAt"


def test_a_cancelled_order_shows_why(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, priceCents=700))["aggregateId"]
    created = accepted(create_order(client, customer_id, (product_id, 3)))
    order_id = created["aggregateId"]
    confirmed = accepted(update_order_status(client, order_id, "CONFIRMED"), version=2)
    cancelled = accepted(cancel_order(client, order_id, reason="found a cheaper one"), version=3)
    settle(client, confirmed, cancelled)

    order = get_order(client, order_id)

    assert order is not None
    assert order["status"] == "CANCELLED"
    assert order["cancelReason"] == "found a cheaper one"
    assert order["version"] == cancelled["version"] == 3
    assert (order["itemCount"], order["totalCents"]) == (3, 2100), "the order keeps its lines"
    assert utc_time(order["updatedAt"]) > utc_time(order["createdAt"])


def test_an_order_is_found_by_its_id_in_any_spelling(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client))["aggregateId"]
    created = accepted(create_order(client, customer_id, (product_id, 1)))
    settle(client, created)

    order = get_order(client, created["aggregateId"].upper())

    assert order is not None
    assert order["id"] == created["aggregateId"]


def test_an_unknown_order_is_null_and_a_malformed_id_an_error(client: httpx.Client):
    assert get_order(client, new_id()) is None
    response = post_graphql(
        client, "query($id: ID!) { order(id: $id) { id } }", {"id": "not-an-order-id"}
    )
    assert [e["message"] for e in response.json()["errors"]] == ["id must be a UUID"]

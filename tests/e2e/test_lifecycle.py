"""Orders through their whole life, as the audit trail (orderHistory) records them."""

import json
import uuid
from datetime import datetime, timedelta

import httpx

from tests.e2e.commands import (
    accepted,
    add_product,
    cancel_order,
    change_product_price,
    create_order,
    position,
    register_customer,
    update_order_status,
)
from tests.e2e.reads import order_history


def assert_well_formed(events: list[dict], order_id: str, commands: list[dict]) -> None:
    """Versions 1..n on the order's stream, growing positions, each written by its command."""
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    assert {e["streamId"] for e in events} == {f"order-{order_id}"}
    positions = [int(e["position"]) for e in events]
    assert positions == sorted(set(positions))
    assert [e["commandId"] for e in events] == [c["commandId"] for c in commands]
    for event in events:
        recorded_at = datetime.fromisoformat(event["recordedAt"])
        assert recorded_at.utcoffset() == timedelta(0), (
            f"not UTC with an offset: {event['recordedAt']}"
        )


def test_an_order_is_placed_confirmed_shipped_and_delivered(client: httpx.Client):
    customer_id = accepted(register_customer(client, name="Grace Hopper"))["aggregateId"]
    teapot = accepted(add_product(client, name="Teapot", priceCents=2500, initialStock=5))
    cups = accepted(add_product(client, name="Cup", priceCents=450, initialStock=20))
    started = datetime.now().astimezone()

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
    order_id = created["aggregateId"]
    # A later price change must not touch the order: its lines keep the price it was placed at.
    accepted(change_product_price(client, teapot["aggregateId"], 3100))
    confirmed = accepted(update_order_status(client, order_id, "CONFIRMED"), version=2)
    shipped = accepted(update_order_status(client, order_id, "SHIPPED"), version=3)
    delivered = accepted(update_order_status(client, order_id, "DELIVERED"), version=4)

    events = order_history(client, order_id)

    assert [e["type"] for e in events] == [
        "OrderCreated",
        "OrderConfirmed",
        "OrderShipped",
        "OrderDelivered",
    ]
    assert_well_formed(events, order_id, [created, confirmed, shipped, delivered])
    # A command's position is that of the last event it wrote (a reservation may follow).
    for event, command in zip(events, [created, confirmed, shipped, delivered], strict=True):
        assert int(event["position"]) <= position(command)
    placed = json.loads(events[0]["data"])
    assert all(event["payload"] == json.loads(event["data"]) for event in events)
    assert placed["order_id"] == order_id
    assert placed["customer_id"] == customer_id
    assert placed["shipping_address"] == "1 Compiler Lane, Arlington"
    assert placed["lines"] == [
        {
            "product_id": teapot["aggregateId"],
            "product_name": "Teapot",
            "unit_price_cents": 2500,
            "quantity": 1,
        },
        {
            "product_id": cups["aggregateId"],
            "product_name": "Cup",
            "unit_price_cents": 450,
            "quantity": 4,
        },
    ]
    assert all(json.loads(e["data"]) == {"order_id": order_id} for e in events[1:])
    assert datetime.fromisoformat(events[0]["recordedAt"]) >= started - timedelta(seconds=5)


def test_an_order_is_cancelled_with_a_reason(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, initialStock=3))["aggregateId"]
    created = accepted(create_order(client, customer_id, (product_id, 3)))
    order_id = created["aggregateId"]

    cancelled = accepted(cancel_order(client, order_id, "ordered the wrong colour"), version=2)

    events = order_history(client, order_id)
    assert [e["type"] for e in events] == ["OrderCreated", "OrderCancelled"]
    assert_well_formed(events, order_id, [created, cancelled])
    assert json.loads(events[1]["data"]) == {
        "order_id": order_id,
        "reason": "ordered the wrong colour",
    }


def test_cancelling_a_confirmed_order_releases_its_stock(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, initialStock=4))["aggregateId"]
    order_id = accepted(create_order(client, customer_id, (product_id, 4)))["aggregateId"]
    accepted(update_order_status(client, order_id, "CONFIRMED"))

    accepted(cancel_order(client, order_id))

    accepted(create_order(client, customer_id, (product_id, 4)))


def test_shipping_takes_the_reserved_stock_out_for_good(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, initialStock=2))["aggregateId"]
    order_id = accepted(create_order(client, customer_id, (product_id, 2)))["aggregateId"]
    for status in ("CONFIRMED", "SHIPPED", "DELIVERED"):
        accepted(update_order_status(client, order_id, status))

    refused_result = create_order(client, customer_id, (product_id, 1))

    assert refused_result["ok"] is False
    assert [e["code"] for e in refused_result["errors"]] == ["RULE_VIOLATED"]


def test_the_history_of_an_unknown_order_is_empty(client: httpx.Client):
    assert order_history(client, str(uuid.uuid4())) == []


def test_the_history_can_be_asked_for_in_any_uuid_spelling(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client))["aggregateId"]
    order_id = accepted(create_order(client, customer_id, (product_id, 1)))["aggregateId"]

    assert order_history(client, order_id.upper()) == order_history(client, order_id)

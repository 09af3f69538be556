"""A commandId is an idempotency key: a repeat is answered from the first result."""

import random

import httpx

from tests.e2e.commands import (
    CREATE_ORDER,
    accepted,
    add_product,
    cancel_order,
    create_order,
    lines,
    new_id,
    refused,
    register_customer,
    restock_product,
    update_order_status,
)
from tests.e2e.graphql_http import send_concurrently
from tests.e2e.processes import Server
from tests.e2e.reads import order_history


def assert_replay_of(first: dict, again: dict) -> None:
    assert again["ok"] is True and again["errors"] == []
    assert again["replayed"] is True
    fields = ("commandId", "aggregateId", "version", "position")
    assert {f: again[f] for f in fields} == {f: first[f] for f in fields}


def test_a_repeated_registration_is_replayed(client: httpx.Client):
    command = {"commandId": new_id(), "name": "Ada", "email": f"ada-{new_id()}@example.com"}
    first = accepted(register_customer(client, **command))

    assert_replay_of(first, register_customer(client, **command))


def test_a_repeated_order_is_written_once(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, initialStock=3))["aggregateId"]
    command_id = new_id()
    first = accepted(create_order(client, customer_id, (product_id, 2), commandId=command_id))

    again = create_order(client, customer_id, (product_id, 2), commandId=command_id)

    assert_replay_of(first, again)
    assert [e["type"] for e in order_history(client, first["aggregateId"])] == ["OrderCreated"]
    # Reserved once: one unit is left, not three and not none.
    refused(create_order(client, customer_id, (product_id, 2)), "RULE_VIOLATED", "items.0.quantity")
    accepted(create_order(client, customer_id, (product_id, 1)))


def test_repeated_status_changes_and_cancellations_are_replayed(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client))["aggregateId"]
    order_id = accepted(create_order(client, customer_id, (product_id, 1)))["aggregateId"]
    confirm, cancel = {"commandId": new_id()}, {"commandId": new_id()}

    confirmed = accepted(update_order_status(client, order_id, "CONFIRMED", **confirm))
    assert_replay_of(confirmed, update_order_status(client, order_id, "CONFIRMED", **confirm))
    cancelled = accepted(cancel_order(client, order_id, "no longer needed", **cancel))
    assert_replay_of(cancelled, cancel_order(client, order_id, "no longer needed", **cancel))
    # The replay is answered from the record even though the order has moved on since.
    assert_replay_of(confirmed, update_order_status(client, order_id, "CONFIRMED", **confirm))

    assert [e["type"] for e in order_history(client, order_id)] == [
        "OrderCreated",
        "OrderConfirmed",
        "OrderCancelled",
    ]


def test_a_repeated_restock_adds_stock_once(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, initialStock=0))["aggregateId"]
    command_id = new_id()

    first = accepted(restock_product(client, product_id, 4, commandId=command_id), version=2)
    assert_replay_of(first, restock_product(client, product_id, 4, commandId=command_id))

    refused(create_order(client, customer_id, (product_id, 5)), "RULE_VIOLATED", "items.0.quantity")
    accepted(create_order(client, customer_id, (product_id, 4)))


def test_an_omitted_order_id_is_derived_from_the_command_id(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client))["aggregateId"]
    command_id = new_id()

    first = accepted(create_order(client, customer_id, (product_id, 1), commandId=command_id))
    again = create_order(client, customer_id, (product_id, 1), commandId=command_id)
    other = accepted(create_order(client, customer_id, (product_id, 1), commandId=new_id()))

    assert_replay_of(first, again)
    assert other["aggregateId"] != first["aggregateId"]


def test_omitted_customer_and_product_ids_are_derived_from_the_command_id(client: httpx.Client):
    customer = {"commandId": new_id(), "email": f"ada-{new_id()}@example.com"}
    product = {"commandId": new_id(), "sku": f"SKU-{new_id()}"}

    first_customer = accepted(register_customer(client, **customer))
    first_product = accepted(add_product(client, **product))

    assert_replay_of(first_customer, register_customer(client, **customer))
    assert_replay_of(first_product, add_product(client, **product))


def test_without_a_command_id_each_request_is_a_new_command(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client))["aggregateId"]

    first = accepted(create_order(client, customer_id, (product_id, 1)))
    second = accepted(create_order(client, customer_id, (product_id, 1)))

    assert first["commandId"] != second["commandId"]
    assert first["aggregateId"] != second["aggregateId"]


def test_concurrent_repeats_of_orders_are_each_written_once(client: httpx.Client, server: Server):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, initialStock=10))["aggregateId"]
    orders = [
        {
            "commandId": new_id(),
            "customerId": customer_id,
            "items": lines((product_id, 1)),
            "shippingAddress": "1 Race Condition Road",
        }
        for _ in range(10)
    ]
    # Each order sent 8 times, spread out so that some repeats arrive while the first is
    # being written: a repeat must then be answered from its record, not refused.
    repeats = [order for order in orders for _ in range(8)]
    random.shuffle(repeats)

    results = send_concurrently(server.base_url, CREATE_ORDER, repeats, stagger_s=0.0005)

    assert all(r["ok"] for r in results), [r["errors"] for r in results if not r["ok"]]
    for order in orders:
        answers = [r for r in results if r["commandId"] == order["commandId"]]
        assert sum(not r["replayed"] for r in answers) == 1
        assert len({(r["aggregateId"], r["version"], r["position"]) for r in answers}) == 1
        events = order_history(client, answers[0]["aggregateId"])
        assert [e["type"] for e in events] == ["OrderCreated"]
    # One unit reserved per order, once: the ten units are all taken.
    refused(create_order(client, customer_id, (product_id, 1)), "RULE_VIOLATED", "items.0.quantity")

"""Each mutation of the contract, accepted: the CommandResult it answers with."""

import uuid

import httpx

from tests.e2e.commands import (
    accepted,
    add_product,
    cancel_order,
    change_product_price,
    create_order,
    new_id,
    position,
    register_customer,
    restock_product,
    update_order_status,
)


def test_register_customer_answers_with_the_new_customer(client: httpx.Client):
    command_id, customer_id = new_id(), new_id()

    result = register_customer(client, commandId=command_id, customerId=customer_id)

    accepted(result, version=1)
    assert (result["commandId"], result["aggregateId"]) == (command_id, customer_id)


def test_register_customer_without_ids_gets_fresh_generated_ones(client: httpx.Client):
    first = accepted(register_customer(client), version=1)
    second = accepted(register_customer(client), version=1)

    assert uuid.UUID(first["commandId"]) and uuid.UUID(second["commandId"])
    assert first["commandId"] != second["commandId"]
    assert first["aggregateId"] != second["aggregateId"]


def test_add_product_answers_with_the_new_product(client: httpx.Client):
    product_id = new_id()

    result = add_product(client, productId=product_id, description=None)

    accepted(result, version=1)
    assert result["aggregateId"] == product_id


def test_add_product_accepts_a_free_product_with_no_stock(client: httpx.Client):
    accepted(add_product(client, priceCents=0, initialStock=0), version=1)


def test_restock_and_change_price_advance_the_product_stream(client: httpx.Client):
    product_id = accepted(add_product(client))["aggregateId"]

    restocked = accepted(restock_product(client, product_id, 5), version=2)
    repriced = accepted(change_product_price(client, product_id, 1999), version=3)

    assert restocked["aggregateId"] == repriced["aggregateId"] == product_id


def test_create_order_answers_with_the_new_order(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    teapot = accepted(add_product(client))["aggregateId"]
    cups = accepted(add_product(client, name="Cup", priceCents=450))["aggregateId"]
    order_id = new_id()

    result = create_order(client, customer_id, (teapot, 1), (cups, 4), orderId=order_id)

    accepted(result, version=1)
    assert result["aggregateId"] == order_id


def test_update_order_status_and_cancel_order_advance_the_order_stream(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client))["aggregateId"]
    order_id = accepted(create_order(client, customer_id, (product_id, 2)))["aggregateId"]

    confirmed = accepted(update_order_status(client, order_id, "CONFIRMED"), version=2)
    cancelled = accepted(cancel_order(client, order_id, "found it cheaper"), version=3)

    assert confirmed["aggregateId"] == cancelled["aggregateId"] == order_id


def test_a_matching_expected_version_is_accepted(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client))["aggregateId"]
    order_id = accepted(create_order(client, customer_id, (product_id, 1)))["aggregateId"]

    accepted(update_order_status(client, order_id, "CONFIRMED", expectedVersion=1), version=2)
    accepted(cancel_order(client, order_id, expectedVersion=2), version=3)


def test_ids_are_accepted_in_any_uuid_spelling_and_answered_canonically(client: httpx.Client):
    customer_id = new_id()

    result = register_customer(client, customerId=customer_id.upper())

    assert accepted(result)["aggregateId"] == customer_id


def test_positions_are_decimal_strings_that_grow_with_every_write(client: httpx.Client):
    customer = accepted(register_customer(client))
    product = accepted(add_product(client))
    restocked = accepted(restock_product(client, product["aggregateId"], 1))
    order = accepted(create_order(client, customer["aggregateId"], (product["aggregateId"], 1)))
    confirmed = accepted(update_order_status(client, order["aggregateId"], "CONFIRMED"))

    positions = [position(r) for r in (customer, product, restocked, order, confirmed)]
    assert positions == sorted(set(positions))

"""Commands refused: each with its error code and the input field to blame, nothing written."""

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
    refused,
    register_customer,
    restock_product,
    update_order_status,
)
from tests.e2e.reads import order_history


@pytest.fixture
def customer_id(client: httpx.Client) -> str:
    return str(accepted(register_customer(client))["aggregateId"])


@pytest.fixture
def product_id(client: httpx.Client) -> str:
    return str(accepted(add_product(client, initialStock=5))["aggregateId"])


@pytest.fixture
def order_id(client: httpx.Client, customer_id: str, product_id: str) -> str:
    return str(accepted(create_order(client, customer_id, (product_id, 1)))["aggregateId"])


# --- VALIDATION ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   "])
def test_a_customer_with_a_blank_name_is_refused(client: httpx.Client, name: str):
    refused(register_customer(client, name=name), "VALIDATION", "name")


@pytest.mark.parametrize(
    "email", ["not-an-email", "ada@", "@example.com", "ada@example", "a b@example.com"]
)
def test_a_customer_with_a_malformed_email_is_refused(client: httpx.Client, email: str):
    refused(register_customer(client, email=email), "VALIDATION", "email")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "a\ud800b"),
        ("name", "Ada\u0000"),
        ("name", "\u200b"),
        ("email", "ada\udfff@example.com"),
        ("commandId", "\ud83d"),
    ],
)
def test_text_no_view_could_store_is_refused_at_the_edge(
    client: httpx.Client, field: str, value: str
):
    refused(register_customer(client, **{field: value}), "VALIDATION", field)


def test_an_email_differing_only_in_case_and_width_is_taken(client: httpx.Client):
    email = f"{new_id()}@example.com"
    accepted(register_customer(client, email=email))
    wide = "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in email.upper())
    refused(register_customer(client, email=f"  {wide} "), "CONFLICT", "email")


def test_a_customer_with_a_malformed_customer_id_is_refused(client: httpx.Client):
    refused(register_customer(client, customerId="customer-1"), "VALIDATION", "customerId")


def test_a_product_with_a_blank_name_is_refused(client: httpx.Client):
    refused(add_product(client, name=" "), "VALIDATION", "name")


def test_a_product_with_a_negative_price_is_refused(client: httpx.Client):
    refused(add_product(client, priceCents=-1), "VALIDATION", "priceCents")


def test_a_product_with_negative_initial_stock_is_refused(client: httpx.Client):
    refused(add_product(client, initialStock=-1), "VALIDATION", "initialStock")


def test_changing_a_price_to_a_negative_one_is_refused(client: httpx.Client, product_id: str):
    refused(change_product_price(client, product_id, -100), "VALIDATION", "priceCents")


@pytest.mark.parametrize("quantity", [0, -3])
def test_restocking_nothing_is_refused(client: httpx.Client, product_id: str, quantity: int):
    refused(restock_product(client, product_id, quantity), "VALIDATION", "quantity")


def test_every_broken_rule_is_reported_at_once(client: httpx.Client):
    result = add_product(client, name="", priceCents=-1)

    assert result["ok"] is False
    assert {(e["code"], e["field"]) for e in result["errors"]} == {
        ("VALIDATION", "name"),
        ("VALIDATION", "priceCents"),
    }


def test_an_order_without_lines_is_refused(client: httpx.Client, customer_id: str):
    refused(create_order(client, customer_id), "VALIDATION", "items")


def test_an_order_with_quantity_zero_on_line_two_is_refused(
    client: httpx.Client, customer_id: str, product_id: str
):
    other = accepted(add_product(client))["aggregateId"]

    result = create_order(client, customer_id, (product_id, 1), (other, 0))

    refused(result, "VALIDATION", "items.1.quantity")


def test_an_order_line_with_a_malformed_product_id_is_refused(
    client: httpx.Client, customer_id: str
):
    refused(create_order(client, customer_id, ("not-a-uuid", 1)), "VALIDATION", "items.0.productId")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"shippingAddress": "x" * 501}, "shippingAddress", id="address-too-long"),
        pytest.param({"shippingAddress": "  "}, "shippingAddress", id="blank-address"),
        pytest.param({"orderId": "order-1"}, "orderId", id="malformed-order-id"),
        pytest.param({"customerId": "ada"}, "customerId", id="malformed-customer-id"),
    ],
)
def test_an_order_breaking_a_field_rule_is_refused(
    client: httpx.Client, customer_id: str, product_id: str, change: dict[str, Any], field: str
):
    refused(create_order(client, customer_id, (product_id, 1), **change), "VALIDATION", field)


def test_an_address_of_exactly_the_maximum_length_is_accepted(
    client: httpx.Client, customer_id: str, product_id: str
):
    accepted(create_order(client, customer_id, (product_id, 1), shippingAddress="x" * 500))


def test_an_order_naming_a_product_twice_is_refused(
    client: httpx.Client, customer_id: str, product_id: str
):
    result = create_order(client, customer_id, (product_id, 1), (product_id, 2))

    refused(result, "VALIDATION", "items.1.productId")


def test_moving_an_order_to_cancelled_by_status_is_refused(client: httpx.Client, order_id: str):
    refused(update_order_status(client, order_id, "CANCELLED"), "VALIDATION", "status")
    assert [e["type"] for e in order_history(client, order_id)] == ["OrderCreated"]


def test_cancelling_without_a_reason_is_refused(client: httpx.Client, order_id: str):
    refused(cancel_order(client, order_id, ""), "VALIDATION", "reason")


def test_an_overlong_command_id_is_refused(client: httpx.Client):
    refused(register_customer(client, commandId="k" * 101), "VALIDATION", "commandId")


# --- NOT_FOUND -------------------------------------------------------------------------------


def test_an_order_for_an_unknown_customer_is_refused(client: httpx.Client, product_id: str):
    order_id = new_id()

    refused(
        create_order(client, new_id(), (product_id, 1), orderId=order_id), "NOT_FOUND", "customerId"
    )
    assert order_history(client, order_id) == []


def test_an_order_for_an_unknown_product_is_refused(
    client: httpx.Client, customer_id: str, product_id: str
):
    result = create_order(client, customer_id, (product_id, 1), (new_id(), 1))

    refused(result, "NOT_FOUND", "items.1.productId")


def test_an_order_whose_only_product_is_unknown_is_refused(client: httpx.Client, customer_id: str):
    refused(create_order(client, customer_id, (new_id(), 1)), "NOT_FOUND", "items.0.productId")


def test_restocking_an_unknown_product_is_refused(client: httpx.Client):
    refused(restock_product(client, new_id(), 1), "NOT_FOUND", "productId")


def test_repricing_an_unknown_product_is_refused(client: httpx.Client):
    refused(change_product_price(client, new_id(), 100), "NOT_FOUND", "productId")


def test_moving_an_unknown_order_is_refused(client: httpx.Client):
    refused(update_order_status(client, new_id(), "CONFIRMED"), "NOT_FOUND", "orderId")


def test_cancelling_an_unknown_order_is_refused(client: httpx.Client):
    refused(cancel_order(client, new_id()), "NOT_FOUND", "orderId")


@pytest.mark.parametrize("mutation", ["updateOrderStatus", "cancelOrder"])
def test_an_unknown_order_is_not_found_even_with_an_expected_version(
    client: httpx.Client, mutation: str
):
    if mutation == "updateOrderStatus":
        result = update_order_status(client, new_id(), "CONFIRMED", expectedVersion=1)
    else:
        result = cancel_order(client, new_id(), expectedVersion=1)

    refused(result, "NOT_FOUND", "orderId")


# --- CONFLICT --------------------------------------------------------------------------------


def test_an_email_is_taken_case_insensitively(client: httpx.Client):
    email = f"Grace.{new_id()}@Example.com"
    accepted(register_customer(client, email=email))

    refused(register_customer(client, email=email.upper()), "CONFLICT", "email")
    refused(register_customer(client, email=email.lower()), "CONFLICT", "email")


def test_a_sku_is_taken(client: httpx.Client):
    sku = f"SKU-{new_id()}"
    accepted(add_product(client, sku=sku))

    refused(add_product(client, sku=sku, name="Another teapot"), "CONFLICT", "sku")


def test_a_customer_id_is_taken(client: httpx.Client, customer_id: str):
    refused(register_customer(client, customerId=customer_id), "CONFLICT", "customerId")


def test_an_order_id_is_taken(
    client: httpx.Client, customer_id: str, product_id: str, order_id: str
):
    refused(
        create_order(client, customer_id, (product_id, 1), orderId=order_id), "CONFLICT", "orderId"
    )
    assert [e["type"] for e in order_history(client, order_id)] == ["OrderCreated"]


def test_a_stale_expected_version_is_refused(client: httpx.Client, order_id: str):
    refused(
        update_order_status(client, order_id, "CONFIRMED", expectedVersion=2),
        "CONFLICT",
        "expectedVersion",
    )
    refused(cancel_order(client, order_id, expectedVersion=0), "CONFLICT", "expectedVersion")
    assert [e["type"] for e in order_history(client, order_id)] == ["OrderCreated"]


def test_a_command_id_reused_for_a_different_payload_is_refused(client: httpx.Client):
    command_id = new_id()
    accepted(register_customer(client, commandId=command_id, name="Ada"))

    result = register_customer(client, commandId=command_id, name="Ada")  # a fresh e-mail each call

    refused(result, "CONFLICT", "commandId")
    assert result["commandId"] == command_id


def test_a_command_id_reused_for_another_kind_of_command_is_refused(
    client: httpx.Client, product_id: str
):
    command_id = new_id()
    accepted(restock_product(client, product_id, 1, commandId=command_id))

    refused(
        change_product_price(client, product_id, 100, commandId=command_id), "CONFLICT", "commandId"
    )


# --- RULE_VIOLATED ---------------------------------------------------------------------------


def test_an_order_beyond_the_stock_is_refused_and_reserves_nothing(
    client: httpx.Client, customer_id: str
):
    plenty = accepted(add_product(client, initialStock=5))["aggregateId"]
    scarce = accepted(add_product(client, initialStock=3))["aggregateId"]
    order_id = new_id()

    result = create_order(client, customer_id, (plenty, 2), (scarce, 4), orderId=order_id)

    refused(result, "RULE_VIOLATED", "items.1.quantity")
    assert "3 available" in result["errors"][0]["message"]
    assert order_history(client, order_id) == []
    # Had the first line's reservation been written, these would not fit.
    accepted(create_order(client, customer_id, (plenty, 5), (scarce, 3)))
    refused(create_order(client, customer_id, (plenty, 1)), "RULE_VIOLATED", "items.0.quantity")


def test_an_order_whose_total_overflows_is_refused(client: httpx.Client, customer_id: str):
    pricey = accepted(add_product(client, priceCents=2_000_000_000, initialStock=5))["aggregateId"]

    refused(create_order(client, customer_id, (pricey, 2)), "RULE_VIOLATED", "items")
    accepted(create_order(client, customer_id, (pricey, 1)))


def test_pending_to_shipped_is_refused(client: httpx.Client, order_id: str):
    refused(update_order_status(client, order_id, "SHIPPED"), "RULE_VIOLATED", "status")
    assert [e["type"] for e in order_history(client, order_id)] == ["OrderCreated"]


@pytest.mark.parametrize("status", ["PENDING", "CONFIRMED", "DELIVERED"])
def test_skipping_or_repeating_a_step_is_refused(client: httpx.Client, order_id: str, status: str):
    if status == "CONFIRMED":
        accepted(update_order_status(client, order_id, "CONFIRMED"))

    refused(update_order_status(client, order_id, status), "RULE_VIOLATED", "status")


def test_delivering_a_cancelled_order_is_refused(client: httpx.Client, order_id: str):
    accepted(cancel_order(client, order_id))

    refused(update_order_status(client, order_id, "DELIVERED"), "RULE_VIOLATED", "status")
    assert [e["type"] for e in order_history(client, order_id)] == [
        "OrderCreated",
        "OrderCancelled",
    ]


def test_cancelling_twice_is_refused(client: httpx.Client, order_id: str):
    accepted(cancel_order(client, order_id))

    result = cancel_order(client, order_id)

    assert result["ok"] is False
    assert [e["code"] for e in result["errors"]] == ["RULE_VIOLATED"]


def test_cancelling_a_shipped_order_is_refused(client: httpx.Client, order_id: str):
    accepted(update_order_status(client, order_id, "CONFIRMED"))
    accepted(update_order_status(client, order_id, "SHIPPED"))

    result = cancel_order(client, order_id, "too late")

    assert result["ok"] is False
    assert [e["code"] for e in result["errors"]] == ["RULE_VIOLATED"]
    assert "SHIPPED" in result["errors"][0]["message"]
    assert [e["type"] for e in order_history(client, order_id)][-1] == "OrderShipped"

"""The write side: the contract's mutation documents, one helper per mutation (unique
defaults, any field overridable), and assertions on the CommandResult they answer."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.e2e.graphql_http import gql

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


def with_wait_for(mutation: str) -> str:
    """A mutation document from `_mutation` that also takes `$waitFor` and `$timeoutMs`."""
    head, _, rest = mutation.partition(") {")
    name, _, tail = rest.strip().partition("(input: $input)")
    return (
        f"{head}, $waitFor: [View!], $timeoutMs: Int) {{ "
        f"{name}(input: $input, waitFor: $waitFor, timeoutMs: $timeoutMs){tail}"
    )


def new_id() -> str:
    return str(uuid.uuid4())


def _command(
    client: httpx.Client, query: str, field: str, payload: dict[str, Any]
) -> dict[str, Any]:
    result: dict[str, Any] = gql(client, query, input=payload)[field]
    return result


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

"""The edge: each mutation input becomes one domain command.

Ids the client leaves out are derived from the command id, so a client that resends a
command with the same commandId addresses the same customer, product or order.
"""

from __future__ import annotations

import uuid

from domain import validation as check
from domain.commands import (
    AddProduct,
    CancelOrder,
    ChangeProductPrice,
    CreateOrder,
    OrderLineRequest,
    RegisterCustomer,
    RestockProduct,
    UpdateOrderStatus,
)
from domain.errors import InvalidCommand
from domain.events import OrderStatus
from domain.validation import canonical_id
from schema.inputs import (
    AddProductInput,
    CancelOrderInput,
    ChangeProductPriceInput,
    CreateOrderInput,
    RegisterCustomerInput,
    RestockProductInput,
    UpdateOrderStatusInput,
)

_IDS = uuid.UUID("6f0f9a55-1c33-4b43-9a53-8f1f5e3d2c10")  # namespace for derived ids


def new_command_id(given: str | None) -> str:
    """The client's command id, checked before ids are derived from it, or a new one."""
    if given is None:
        return str(uuid.uuid4())
    problems = list(check.text("command_id", str(given), min_len=1, max_len=100))
    if problems:
        raise InvalidCommand(problems)
    return str(given)


def _id(given: str | None, command_id: str, role: str) -> str:
    if given is not None:
        return canonical_id(str(given))
    return str(uuid.uuid5(_IDS, f"{role}:{command_id}"))


def register_customer(data: RegisterCustomerInput, command_id: str) -> RegisterCustomer:
    return RegisterCustomer(
        command_id=command_id,
        customer_id=_id(data.customer_id, command_id, "customer"),
        name=data.name,
        email=data.email.strip(),
    )


def add_product(data: AddProductInput, command_id: str) -> AddProduct:
    return AddProduct(
        command_id=command_id,
        product_id=_id(data.product_id, command_id, "product"),
        sku=data.sku.strip(),
        name=data.name,
        description=data.description,
        price_cents=data.price_cents,
        initial_stock=data.initial_stock,
    )


def restock_product(data: RestockProductInput, command_id: str) -> RestockProduct:
    return RestockProduct(
        command_id=command_id, product_id=canonical_id(data.product_id), quantity=data.quantity
    )


def change_product_price(data: ChangeProductPriceInput, command_id: str) -> ChangeProductPrice:
    return ChangeProductPrice(
        command_id=command_id,
        product_id=canonical_id(data.product_id),
        price_cents=data.price_cents,
    )


def create_order(data: CreateOrderInput, command_id: str) -> CreateOrder:
    return CreateOrder(
        command_id=command_id,
        order_id=_id(data.order_id, command_id, "order"),
        customer_id=canonical_id(data.customer_id),
        items=tuple(
            OrderLineRequest(product_id=canonical_id(item.product_id), quantity=item.quantity)
            for item in data.items
        ),
        shipping_address=data.shipping_address,
    )


def update_order_status(data: UpdateOrderStatusInput, command_id: str) -> UpdateOrderStatus:
    return UpdateOrderStatus(
        command_id=command_id,
        order_id=canonical_id(data.order_id),
        status=OrderStatus(data.status),
        expected_version=data.expected_version,
    )


def cancel_order(data: CancelOrderInput, command_id: str) -> CancelOrder:
    return CancelOrder(
        command_id=command_id,
        order_id=canonical_id(data.order_id),
        reason=data.reason,
        expected_version=data.expected_version,
    )

"""Mutation inputs: one per command, field for field."""

from __future__ import annotations

import strawberry

from schema.enums import OrderStatus


@strawberry.input
class RegisterCustomerInput:
    command_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    name: str
    email: str = strawberry.field(
        description="Unique among customers, case-insensitively (after Unicode NFKC)."
    )


@strawberry.input
class AddProductInput:
    command_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    sku: str = strawberry.field(
        description="Unique among products, case-insensitively (after Unicode NFKC)."
    )
    name: str
    description: str | None = None
    price_cents: int
    initial_stock: int


@strawberry.input
class RestockProductInput:
    command_id: strawberry.ID | None = None
    product_id: strawberry.ID
    quantity: int


@strawberry.input
class ChangeProductPriceInput:
    command_id: strawberry.ID | None = None
    product_id: strawberry.ID
    price_cents: int


@strawberry.input
class OrderItemInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input
class CreateOrderInput:
    command_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None
    customer_id: strawberry.ID
    items: list[OrderItemInput]
    shipping_address: str


@strawberry.input
class UpdateOrderStatusInput:
    command_id: strawberry.ID | None = None
    order_id: strawberry.ID
    status: OrderStatus = strawberry.field(
        description="PENDING -> CONFIRMED -> SHIPPED -> DELIVERED; CANCELLED via cancelOrder."
    )
    expected_version: int | None = None


@strawberry.input
class CancelOrderInput:
    command_id: strawberry.ID | None = None
    order_id: strawberry.ID
    reason: str
    expected_version: int | None = None

"""The kinds of stream in the log: one per aggregate, one per unique-value claim."""

from __future__ import annotations

from domain import claims, customer, order, product
from domain.repository import AggregateKind

CUSTOMERS = AggregateKind("customer-", customer.evolve)
EMAIL_CLAIMS = AggregateKind("customer-email:", claims.evolve)
PRODUCTS = AggregateKind("product-", product.evolve, product.Product, snapshot_every=100)
SKU_CLAIMS = AggregateKind("product-sku:", claims.evolve)
ORDERS = AggregateKind("order-", order.evolve)

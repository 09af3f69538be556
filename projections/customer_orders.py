"""CUSTOMER_ORDERS: each customer's orders, newest first, paged by keyset."""

from functools import partial

from sqlalchemy import Index

from projections.orders import (
    ORDER_EVENTS,
    CustomerColumns,
    OrderColumns,
    order_needs,
    order_rows_set_based,
    project_order,
)
from projections.projection import Projection, table_of
from projections.set_based import SetBased


class CustomerOrder(OrderColumns, table=True):
    __tablename__ = "customer_orders"
    __table_args__ = (
        Index("ix_customer_orders_newest", "customer_id", "created_at", "order_id"),
        Index("ix_customer_orders_status", "customer_id", "status", "created_at", "order_id"),
    )


class CustomerOrdersCustomer(CustomerColumns, table=True):
    __tablename__ = "customer_orders_customers"


PROJECTION = Projection(
    name="customer_orders",
    version=1,
    view="CUSTOMER_ORDERS",
    tables=(table_of(CustomerOrder), table_of(CustomerOrdersCustomer)),
    handles=ORDER_EVENTS,
    project=partial(project_order, "customer_orders", "customer_orders_customers"),
    needs=partial(order_needs, "customer_orders", "customer_orders_customers"),
    set_based=SetBased(
        partial(order_rows_set_based, "customer_orders", "customer_orders_customers")
    ),
    notice_column="customer_id",  # a customer's page changes when any of their orders does
)

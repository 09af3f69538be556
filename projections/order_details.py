"""ORDER_DETAILS: one denormalized row per order, read by id."""

from functools import partial

from projections.orders import (
    ORDER_EVENTS,
    CustomerColumns,
    OrderColumns,
    order_needs,
    project_order,
)
from projections.projection import Projection, table_of


class OrderDetails(OrderColumns, table=True):
    __tablename__ = "order_details"


class OrderDetailsCustomer(CustomerColumns, table=True):
    __tablename__ = "order_details_customers"


PROJECTION = Projection(
    name="order_details",
    version=1,
    view="ORDER_DETAILS",
    tables=(table_of(OrderDetails), table_of(OrderDetailsCustomer)),
    handles=ORDER_EVENTS,
    project=partial(project_order, "order_details", "order_details_customers"),
    needs=partial(order_needs, "order_details", "order_details_customers"),
)

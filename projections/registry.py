"""Every projection the service runs."""

from projections import (
    confirmation_emails,
    customer_orders,
    customer_summary,
    order_details,
    order_search,
    product_catalog,
    sales_report,
)
from projections.projection import Projection

PROJECTIONS: tuple[Projection, ...] = (
    order_details.PROJECTION,
    customer_orders.PROJECTION,
    order_search.PROJECTION,
    product_catalog.PROJECTION,
    customer_summary.PROJECTION,
    sales_report.PROJECTION,
    confirmation_emails.PROJECTION,  # a reaction: the order-confirmation e-mail outbox
)

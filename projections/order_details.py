"""ORDER_DETAILS: one denormalized row per order, read by id."""

from collections.abc import Iterable, Iterator
from functools import partial

from domain.log import RecordedEvent
from projections.orders import (
    ORDER_EVENTS,
    CustomerColumns,
    OrderColumns,
    order_needs,
    order_rows_set_based,
    project_order,
)
from projections.projection import Projection, Put, Row, Rows, table_of
from projections.set_based import SetBased


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
    set_based=SetBased(partial(order_rows_set_based, "order_details", "order_details_customers")),
)


def rows_between(shown: Row, version: int, later: Iterable[RecordedEvent]) -> Iterator[Row]:
    """The order's row at each version after `shown` and before `version`, folded from the
    order's `later` events by the projector that keeps the view: for a subscriber that
    must hear of every version though the view moved on by several at once."""
    rows = Rows({(PROJECTION.name, shown["order_id"]): shown})
    for recorded in later:
        if recorded.version >= version:
            return
        for change in PROJECTION.project(recorded.decode(), recorded, rows):
            if isinstance(change, Put) and change.table == PROJECTION.name:
                rows.apply(change, lambda _table, row: row["order_id"])
                yield change.row

"""What every projector owes the engine: `needs` names the rows `project` reads (except rows
found only through another row), and every row written has exactly its table's columns."""

import pytest

from domain.events import (
    ProductPriceChanged,
    ProductRestocked,
    StockReleased,
    StockReserved,
    StockShipped,
)
from projections import (
    customer_orders,
    customer_summary,
    order_details,
    order_search,
    product_catalog,
    sales_report,
)
from tests.unit.projecting import (
    Log,
    Views,
    added,
    at,
    cancelled,
    confirmed,
    created,
    delivered,
    line,
    registered,
    shipped,
)

EVENTS = (
    registered("c1"),
    registered("c2", "Bob Stone", "bob@example.com"),
    added("p1", "Mug", 900),
    added("p2", "Green tea", 450),
    created("o1", "c1", line("p1", "Mug", 900, 2), line("p2", "Green tea", 450, 1)),
    StockReserved(product_id="p1", order_id="o1", quantity=2),
    StockReserved(product_id="p2", order_id="o1", quantity=1),
    confirmed("o1"),
    created("o2", "c2", line("p2", "Green tea", 450, 3)),
    StockReserved(product_id="p2", order_id="o2", quantity=3),
    cancelled("o2"),
    StockReleased(product_id="p2", order_id="o2", quantity=3),
    shipped("o1"),
    StockShipped(product_id="p1", order_id="o1", quantity=2),
    StockShipped(product_id="p2", order_id="o1", quantity=1),
    delivered("o1"),
    ProductRestocked(product_id="p1", quantity=5),
    ProductPriceChanged(product_id="p2", price_cents=500),
)
HISTORY = tuple((event, at(i)) for i, event in enumerate(EVENTS))

# The rows a cancellation reaches only through the cancelled order's row.
FOUND_THROUGH_ANOTHER_ROW = {
    order_details.PROJECTION: set(),
    customer_orders.PROJECTION: set(),
    order_search.PROJECTION: set(),
    product_catalog.PROJECTION: set(),
    customer_summary.PROJECTION: {("customer_summary", "c2")},
    sales_report.PROJECTION: {("sales_daily", "2024-03-01"), ("sales_products", "p2")},
}
PROJECTIONS = pytest.mark.parametrize(
    "projection", list(FOUND_THROUGH_ANOTHER_ROW), ids=lambda p: p.name
)


@PROJECTIONS
def test_each_event_in_a_fresh_batch_needs_only_declared_rows(projection):
    views = Views(projection)
    for played in HISTORY:
        views.play(played)
    assert set(views.misses) == FOUND_THROUGH_ANOTHER_ROW[projection]


@PROJECTIONS
def test_one_batch_of_everything_needs_no_more_than_that(projection):
    views = Views(projection).play(*HISTORY)
    assert set(views.misses) <= FOUND_THROUGH_ANOTHER_ROW[projection]


@PROJECTIONS
def test_batching_does_not_change_the_result(projection):
    one_by_one = Views(projection)
    for played in HISTORY:
        one_by_one.play(played)
    assert one_by_one.tables == Views(projection).play(*HISTORY).tables


@PROJECTIONS
def test_needs_names_only_the_projections_own_tables(projection):
    log = Log()
    tables = {table.name for table in projection.tables}
    for event, when in HISTORY:
        meta = log.record(event, when)
        if type(event) in projection.handles:
            assert {table for table, _key in projection.needs(event, meta)} <= tables


@PROJECTIONS
def test_every_row_written_has_exactly_its_tables_columns(projection):
    views = Views(projection).play(*HISTORY)
    columns = {table.name: {c.name for c in table.columns} for table in projection.tables}
    assert any(views.tables.values())
    for table, rows in views.tables.items():
        for row in rows.values():
            assert set(row) == columns[table], table

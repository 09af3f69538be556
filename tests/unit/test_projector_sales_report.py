"""SALES_REPORT: per UTC day and per product, given these orders, then these figures."""

from datetime import UTC, datetime, timedelta, timezone

from projections.sales_report import PROJECTION
from tests.unit.projecting import cancelled, created, line, play

MARCH_1 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
MARCH_2 = datetime(2024, 3, 2, 10, 0, tzinfo=UTC)
MUG = ("p1", "Mug", 900)
TEA = ("p2", "Green tea", 450)


def sold(product, quantity):
    product_id, name, price = product
    return line(product_id, name, price, quantity)


def day(views, iso):
    row = views.row("sales_daily", iso)
    return row and (row["orders"], row["items_sold"], row["revenue_cents"])


def product(views, product_id):
    row = views.row("sales_products", product_id)
    return row and (row["product_name"], row["units_sold"], row["revenue_cents"])


def test_an_order_counts_on_the_day_it_was_placed():
    views = play(PROJECTION, (created("o1", "c1", sold(MUG, 2), sold(TEA, 3)), MARCH_1))
    assert day(views, "2024-03-01") == (1, 5, 3150)
    assert product(views, "p1") == ("Mug", 2, 1800)
    assert product(views, "p2") == ("Green tea", 3, 1350)


def test_the_day_is_the_utc_date_whatever_the_offset_of_the_timestamp():
    # 23:30 UTC on 1 March, written as 01:30 on 2 March at UTC+2
    late = datetime(2024, 3, 1, 23, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    # 00:30 UTC on 2 March, written as 19:30 on 1 March at UTC-5
    early = datetime(2024, 3, 2, 0, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=-5)))
    views = play(
        PROJECTION,
        (created("o1", "c1", sold(MUG, 1)), late),
        (created("o2", "c1", sold(MUG, 2)), early),
    )
    assert day(views, "2024-03-01") == (1, 1, 900)
    assert day(views, "2024-03-02") == (1, 2, 1800)


def test_orders_either_side_of_midnight_utc_fall_on_different_days():
    views = play(
        PROJECTION,
        (created("o1", "c1", sold(MUG, 1)), datetime(2024, 3, 1, 23, 59, 59, tzinfo=UTC)),
        (created("o2", "c1", sold(MUG, 2)), datetime(2024, 3, 2, 0, 0, 0, tzinfo=UTC)),
    )
    assert day(views, "2024-03-01") == (1, 1, 900)
    assert day(views, "2024-03-02") == (1, 2, 1800)


def test_figures_add_up_across_orders_and_products():
    views = play(
        PROJECTION,
        (created("o1", "c1", sold(MUG, 2), sold(TEA, 1)), MARCH_1),
        (created("o2", "c2", sold(TEA, 4)), MARCH_1 + timedelta(hours=1)),
        (created("o3", "c1", sold(MUG, 1)), MARCH_2),
    )
    assert day(views, "2024-03-01") == (2, 7, 1800 + 450 + 1800)
    assert day(views, "2024-03-02") == (1, 1, 900)
    assert product(views, "p1") == ("Mug", 3, 2700)
    assert product(views, "p2") == ("Green tea", 5, 2250)


def test_a_later_cancellation_leaves_the_day_the_order_was_placed():
    views = play(
        PROJECTION,
        (created("o1", "c1", sold(MUG, 2)), MARCH_1),
        (created("o2", "c1", sold(TEA, 1)), MARCH_1),
        (created("o3", "c1", sold(MUG, 1)), MARCH_2),
        (cancelled("o1"), MARCH_2 + timedelta(hours=1)),
    )
    assert day(views, "2024-03-01") == (1, 1, 450)
    assert day(views, "2024-03-02") == (1, 1, 900)
    assert product(views, "p1") == ("Mug", 1, 900)


def test_a_cancellation_in_a_later_batch_finds_its_day_through_the_order():
    views = play(PROJECTION, (created("o1", "c1", sold(MUG, 2), sold(TEA, 1)), MARCH_1))
    views.play((cancelled("o1"), MARCH_2))
    assert day(views, "2024-03-01") == (0, 0, 0)
    assert day(views, "2024-03-02") is None
    assert product(views, "p1") == ("Mug", 0, 0)
    assert product(views, "p2") == ("Green tea", 0, 0)


def test_a_product_keeps_the_name_it_was_last_ordered_under():
    views = play(
        PROJECTION,
        (created("o1", "c1", line("p1", "Mug", 900, 1)), MARCH_1),
        (created("o2", "c1", line("p1", "Big mug", 1100, 1)), MARCH_2),
    )
    assert product(views, "p1") == ("Big mug", 2, 2000)


def test_cancelling_an_unknown_order_changes_nothing():
    views = play(PROJECTION, (cancelled("o9"), MARCH_1))
    assert all(not rows for rows in views.tables.values())

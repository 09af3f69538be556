"""ORDER_DETAILS: given these events, then this order row."""

from projections.order_details import PROJECTION
from tests.unit.projecting import (
    at,
    cancelled,
    confirmed,
    created,
    delivered,
    line,
    play,
    registered,
    shipped,
)

ORDERS = "order_details"
MUG = line("p1", "Mug", 900, 2)
TEA = line("p2", "Green tea", 450, 3)


def order_after(*history):
    return play(PROJECTION, *history).row(ORDERS, "o1")


def test_a_new_order_carries_its_customers_name_and_email():
    row = order_after((registered(), at(0)), (created(), at(1)))
    assert (row["customer_id"], row["customer_name"], row["customer_email"]) == (
        "c1",
        "Ada Lovelace",
        "ada@example.com",
    )


def test_a_new_order_is_pending_with_its_lines_as_ordered():
    row = order_after((registered(), at(0)), (created("o1", "c1", MUG, TEA), at(1)))
    assert row["status"] == "PENDING"
    assert row["items"] == [
        {
            "product_id": "p1",
            "product_name": "Mug",
            "unit_price_cents": 900,
            "quantity": 2,
            "line_total_cents": 1800,
        },
        {
            "product_id": "p2",
            "product_name": "Green tea",
            "unit_price_cents": 450,
            "quantity": 3,
            "line_total_cents": 1350,
        },
    ]
    assert (row["item_count"], row["total_cents"]) == (5, 3150)
    assert row["shipping_address"] == "12 Analytical Row, London"
    assert row["cancel_reason"] is None


def test_status_moves_through_confirmed_shipped_delivered():
    history = [(registered(), at(0)), (created(), at(1))]
    for event, status in [
        (confirmed(), "CONFIRMED"),
        (shipped(), "SHIPPED"),
        (delivered(), "DELIVERED"),
    ]:
        history.append((event, at(len(history))))
        assert order_after(*history)["status"] == status


def test_a_cancelled_order_keeps_the_reason():
    row = order_after(
        (registered(), at(0)), (created(), at(1)), (cancelled(reason="found it cheaper"), at(2))
    )
    assert (row["status"], row["cancel_reason"]) == ("CANCELLED", "found it cheaper")


def test_version_follows_the_order_stream_not_the_log_position():
    # Given events of other streams interleaved with the order's own
    row = order_after(
        (registered(), at(0)),
        (registered("c2", "Bob", "bob@example.com"), at(1)),
        (created(), at(2)),
        (created("o2", "c2"), at(3)),
        (confirmed(), at(4)),
        (shipped(), at(5)),
    )
    # Then its version counts the order's events only
    assert row["version"] == 3


def test_created_at_stays_and_updated_at_moves():
    row = order_after((registered(), at(0)), (created(), at(1)), (confirmed(), at(30)))
    assert (row["created_at"], row["updated_at"]) == (at(1), at(30))


def test_status_changes_keep_the_rest_of_the_row():
    before = order_after((registered(), at(0)), (created("o1", "c1", MUG, TEA), at(1)))
    after = order_after(
        (registered(), at(0)), (created("o1", "c1", MUG, TEA), at(1)), (confirmed(), at(2))
    )
    changed = {"status", "updated_at", "version"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }


def test_a_status_event_for_an_unknown_order_changes_nothing():
    views = play(PROJECTION, (registered(), at(0)), (created(), at(1)))
    before = {table: dict(rows) for table, rows in views.tables.items()}
    views.play((confirmed("o-unknown"), at(2)), (cancelled("o-unknown"), at(3)))
    assert {table: dict(rows) for table, rows in views.tables.items()} == before
    assert views.row(ORDERS, "o-unknown") is None


def test_orders_applied_over_several_batches_end_the_same():
    history = [
        (registered(), at(0)),
        (created("o1", "c1", MUG, TEA), at(1)),
        (confirmed(), at(2)),
        (shipped(), at(3)),
    ]
    views = play(PROJECTION)
    for played in history:
        views.play(played)
    assert views.tables == play(PROJECTION, *history).tables

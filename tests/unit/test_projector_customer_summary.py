"""CUSTOMER_SUMMARY: orders placed (cancelled included) and lifetime value (cancelled excluded)."""

from projections.customer_summary import PROJECTION
from tests.unit.projecting import at, cancelled, confirmed, created, line, play, registered


def summary_after(*events, customer="c1"):
    views = play(PROJECTION, *((event, at(i)) for i, event in enumerate(events)))
    return views.row("customer_summary", customer)


def test_a_new_customer_has_no_orders_and_no_value():
    assert summary_after(registered()) == {
        "customer_id": "c1",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "order_count": 0,
        "lifetime_value_cents": 0,
    }


def test_orders_add_to_count_and_value():
    row = summary_after(
        registered(),
        created("o1", "c1", line(price=900, quantity=2), line("p2", "Tea", 450, 1)),
        created("o2", "c1", line(price=1000, quantity=1)),
    )
    assert (row["order_count"], row["lifetime_value_cents"]) == (2, 3250)


def test_a_cancelled_order_still_counts_but_adds_no_value():
    row = summary_after(
        registered(),
        created("o1", "c1", line(price=900, quantity=2)),
        created("o2", "c1", line(price=1000, quantity=1)),
        confirmed("o2"),
        cancelled("o2"),
    )
    assert (row["order_count"], row["lifetime_value_cents"]) == (2, 1800)


def test_a_cancellation_touches_only_its_own_customer():
    events = (
        registered(),
        registered("c2", "Bob", "bob@example.com"),
        created("o1", "c1", line(price=900)),
        created("o2", "c2", line(price=500)),
        cancelled("o2"),
    )
    assert summary_after(*events)["lifetime_value_cents"] == 900
    assert summary_after(*events, customer="c2")["lifetime_value_cents"] == 0


def test_a_cancellation_in_a_later_batch_finds_the_customer_through_the_order():
    views = play(PROJECTION, (registered(), at(0)), (created("o1", "c1", line(price=900)), at(1)))
    views.play((cancelled("o1"), at(2)))
    row = views.row("customer_summary", "c1")
    assert (row["order_count"], row["lifetime_value_cents"]) == (1, 0)


def test_cancelling_an_unknown_order_changes_nothing():
    assert summary_after(registered(), cancelled("o9"))["lifetime_value_cents"] == 0

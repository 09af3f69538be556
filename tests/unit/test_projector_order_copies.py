"""CUSTOMER_ORDERS and ORDER_SEARCH keep ORDER_DETAILS' order rows, each in its own tables."""

import pytest

from projections import customer_orders, order_details, order_search
from tests.unit.projecting import (
    at,
    cancelled,
    confirmed,
    created,
    line,
    play,
    registered,
    shipped,
)

HISTORY = (
    (registered(), at(0)),
    (registered("c2", "Bob Stone", "bob@example.com"), at(1)),
    (created("o1", "c1", line("p1", "Mug"), line("p2", "Green tea", 450, 3)), at(2)),
    (created("o2", "c2", line("p3", "Teapot", 3000), address="5 Kiln Lane, Stoke"), at(3)),
    (confirmed("o1"), at(4)),
    (shipped("o1"), at(5)),
    (cancelled("o2", "too slow"), at(6)),
)


@pytest.mark.parametrize(
    ("projection", "orders", "customers"),
    [
        (customer_orders.PROJECTION, "customer_orders", "customer_orders_customers"),
        (order_search.PROJECTION, "order_search", "order_search_customers"),
    ],
)
def test_the_copies_hold_the_order_details_rows_in_their_own_tables(projection, orders, customers):
    details = play(order_details.PROJECTION, *HISTORY).tables
    views = play(projection, *HISTORY)
    assert set(views.tables) == {orders, customers}
    without_words = {
        k: {c: v for c, v in r.items() if c != "words"} for k, r in views.tables[orders].items()
    }
    assert without_words == details["order_details"]
    assert views.tables[customers] == details["order_details_customers"]


def words(*history):
    return play(order_search.PROJECTION, *history).row("order_search", "o1")["words"]


def test_search_words_hold_customer_products_and_address():
    found = words(
        (registered(), at(0)),
        (created("o1", "c1", line("p1", "Mug"), line("p2", "Green tea")), at(1)),
    )
    for expected in ("ada lovelace", "ada@example.com", "mug", "green tea", "12 analytical row"):
        assert expected in found


def test_search_words_are_folded_for_case_and_accents():
    found = words((registered(name="Zoë Ångström"), at(0)), (created(), at(1)))
    assert "zoe angstrom" in found


def test_search_words_stay_the_same_through_status_changes():
    history = [(registered(), at(0)), (created(), at(1))]
    placed = words(*history)
    for event in (confirmed(), shipped(), cancelled()):
        history.append((event, at(len(history))))
        assert words(*history) == placed


def test_search_words_stay_the_same_when_status_changes_come_in_later_batches():
    views = play(order_search.PROJECTION, (registered(), at(0)), (created(), at(1)))
    placed = views.row("order_search", "o1")["words"]
    views.play((confirmed(), at(2)))
    views.play((cancelled(), at(3)))
    assert views.row("order_search", "o1")["words"] == placed

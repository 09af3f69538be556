"""PRODUCT_CATALOG: given these product events, then this stock and price."""

from domain.events import (
    ProductPriceChanged,
    ProductRestocked,
    StockReleased,
    StockReserved,
    StockShipped,
)
from projections.product_catalog import PROJECTION
from tests.unit.projecting import added, at, play

STOCK = ("stock_on_hand", "reserved", "available", "version")


def product_after(*events):
    views = play(PROJECTION, *((event, at(i)) for i, event in enumerate(events)))
    return views.row("product_catalog", "p1")


def stock(row):
    return tuple(row[column] for column in STOCK)


def test_an_added_product_has_all_its_stock_available():
    row = product_after(added(name="Mug", price=900, stock=10))
    assert row == {
        "product_id": "p1",
        "sku": "SKU-p1",
        "name": "Mug",
        "description": None,
        "price_cents": 900,
        "stock_on_hand": 10,
        "reserved": 0,
        "available": 10,
        "version": 1,
        "folded": "mug sku-p1",
    }


def test_restocking_adds_to_on_hand_and_available():
    row = product_after(added(stock=10), ProductRestocked(product_id="p1", quantity=5))
    assert stock(row) == (15, 0, 15, 2)


def test_a_price_change_moves_the_price_only():
    row = product_after(
        added(price=900, stock=10), ProductPriceChanged(product_id="p1", price_cents=1200)
    )
    assert row["price_cents"] == 1200
    assert stock(row) == (10, 0, 10, 2)


def test_reserving_takes_from_available_not_from_on_hand():
    row = product_after(added(stock=10), StockReserved(product_id="p1", order_id="o1", quantity=3))
    assert stock(row) == (10, 3, 7, 2)


def test_releasing_gives_the_reservation_back():
    row = product_after(
        added(stock=10),
        StockReserved(product_id="p1", order_id="o1", quantity=3),
        StockReleased(product_id="p1", order_id="o1", quantity=3),
    )
    assert stock(row) == (10, 0, 10, 3)


def test_shipping_takes_from_on_hand_and_reserved():
    row = product_after(
        added(stock=10),
        StockReserved(product_id="p1", order_id="o1", quantity=3),
        StockShipped(product_id="p1", order_id="o1", quantity=3),
    )
    assert stock(row) == (7, 0, 7, 3)


def test_stock_adds_up_over_several_orders():
    row = product_after(
        added(stock=10),
        StockReserved(product_id="p1", order_id="o1", quantity=2),
        StockReserved(product_id="p1", order_id="o2", quantity=4),
        ProductRestocked(product_id="p1", quantity=5),
        StockShipped(product_id="p1", order_id="o1", quantity=2),
        StockReleased(product_id="p1", order_id="o2", quantity=4),
    )
    assert stock(row) == (13, 0, 13, 6)


def test_versions_follow_each_products_own_stream():
    views = play(
        PROJECTION,
        (added("p1"), at(0)),
        (added("p2", "Teapot"), at(1)),
        (ProductRestocked(product_id="p2", quantity=1), at(2)),
        (ProductRestocked(product_id="p2", quantity=1), at(3)),
    )
    assert views.row("product_catalog", "p1")["version"] == 1
    assert views.row("product_catalog", "p2")["version"] == 3


def test_an_event_for_an_unknown_product_changes_nothing():
    views = play(PROJECTION, (ProductRestocked(product_id="p9", quantity=5), at(0)))
    assert views.row("product_catalog", "p9") is None

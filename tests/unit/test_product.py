"""Product rules, given these events, when this command, then these events."""

import pytest

from domain import product
from domain.commands import AddProduct, ChangeProductPrice, RestockProduct
from domain.errors import Conflict, NotFound, RuleViolated
from domain.events import (
    ProductAdded,
    ProductPriceChanged,
    ProductRestocked,
    StockReleased,
    StockReserved,
    StockShipped,
)
from tests.unit.fold import fold

P = "00000000-0000-4000-8000-000000000001"
ORDER_ID = "00000000-0000-4000-8000-0000000000aa"
ADDED = ProductAdded(
    product_id=P, sku="MUG-1", name="Mug", description=None, price_cents=900, initial_stock=5
)


def add(**overrides: object) -> AddProduct:
    fields = dict(
        command_id="c",
        product_id=P,
        sku="MUG-1",
        name="Mug",
        description=None,
        price_cents=900,
        initial_stock=5,
    )
    return AddProduct(**{**fields, **overrides})  # type: ignore[arg-type]


def test_adding_a_new_product_records_it():
    assert product.add(None, add()) == [ADDED]


def test_adding_a_product_twice_is_a_conflict():
    with pytest.raises(Conflict) as refused:
        product.add(fold(product.evolve, ADDED), add())
    assert refused.value.field == "product_id"


def test_restock_adds_to_stock_on_hand():
    # Given / When
    events = product.restock(
        fold(product.evolve, ADDED), RestockProduct(command_id="c", product_id=P, quantity=7)
    )
    # Then
    assert events == [ProductRestocked(product_id=P, quantity=7)]
    assert fold(product.evolve, ADDED, *events).on_hand == 12


def test_restock_of_an_unknown_product_is_not_found():
    with pytest.raises(NotFound):
        product.restock(None, RestockProduct(command_id="c", product_id=P, quantity=1))


def test_restock_cannot_push_stock_past_the_32_bit_limit():
    state = fold(product.evolve, ADDED, ProductRestocked(product_id=P, quantity=2**31 - 10))
    with pytest.raises(RuleViolated) as refused:
        product.restock(state, RestockProduct(command_id="c", product_id=P, quantity=6))
    assert refused.value.field == "quantity"


def test_price_change_is_recorded():
    state = fold(product.evolve, ADDED)
    events = product.change_price(
        state, ChangeProductPrice(command_id="c", product_id=P, price_cents=0)
    )
    assert events == [ProductPriceChanged(product_id=P, price_cents=0)]


def test_reserving_holds_stock_until_released_or_shipped():
    state = fold(product.evolve, ADDED, StockReserved(product_id=P, order_id=ORDER_ID, quantity=3))
    assert (state.on_hand, state.reserved, state.available) == (5, 3, 2)
    released = fold(
        product.evolve,
        ADDED,
        StockReserved(product_id=P, order_id=ORDER_ID, quantity=3),
        StockReleased(product_id=P, order_id=ORDER_ID, quantity=3),
    )
    assert (released.on_hand, released.reserved) == (5, 0)
    shipped = fold(
        product.evolve,
        ADDED,
        StockReserved(product_id=P, order_id=ORDER_ID, quantity=3),
        StockShipped(product_id=P, order_id=ORDER_ID, quantity=3),
    )
    assert (shipped.on_hand, shipped.reserved) == (2, 0)


def test_reserving_more_than_available_is_refused_on_the_line():
    state = fold(product.evolve, ADDED, StockReserved(product_id=P, order_id=ORDER_ID, quantity=3))
    with pytest.raises(RuleViolated) as refused:
        product.reserve(state, "other", 3, field="items.4")
    assert refused.value.field == "items.4.quantity"
    assert product.reserve(state, "other", 2, field="items.4") == [
        StockReserved(product_id=P, order_id="other", quantity=2)
    ]


def test_reserving_an_unknown_product_names_the_line():
    with pytest.raises(NotFound) as refused:
        product.reserve(None, ORDER_ID, 1, field="items.0")
    assert refused.value.field == "items.0.product_id"

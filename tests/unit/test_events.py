from domain.events import EVENT_TYPES, OrderCreated, OrderLine, ProductAdded, decode


def test_a_version_1_product_added_is_upcast_with_no_description():
    # Given a payload stored before descriptions existed
    v1 = {"product_id": "p", "sku": "S", "name": "N", "price_cents": 1, "initial_stock": 2}
    # When it is read
    event = decode("ProductAdded", 1, v1)
    # Then it has the current shape
    assert event == ProductAdded(
        product_id="p", sku="S", name="N", description=None, price_cents=1, initial_stock=2
    )


def test_events_round_trip_through_their_payloads():
    created = OrderCreated(
        order_id="o",
        customer_id="c",
        shipping_address="a",
        lines=(OrderLine(product_id="p", product_name="n", unit_price_cents=1, quantity=2),),
    )
    assert decode("OrderCreated", 1, created.to_data()) == created


def test_every_event_type_is_registered_under_its_name():
    assert all(name == cls.__name__ for name, cls in EVENT_TYPES.items())

"""`plain` gives what `dataclasses.asdict` gives, for what the write path turns into data."""

from __future__ import annotations

import dataclasses

from domain.commands import CreateOrder, OrderLineRequest
from domain.events import OrderCreated, OrderLine
from domain.plain import plain

ID = "00000000-0000-4000-8000-00000000000"


def test_events_and_commands_become_the_same_data_as_with_asdict() -> None:
    line = OrderLine(product_id=f"{ID}1", product_name="Mug", unit_price_cents=900, quantity=2)
    event = OrderCreated(
        order_id=f"{ID}2", customer_id=f"{ID}3", lines=(line, line), shipping_address="1 A St"
    )
    command = CreateOrder(
        command_id=f"{ID}4",
        order_id=f"{ID}2",
        customer_id=f"{ID}3",
        items=(OrderLineRequest(product_id=f"{ID}1", quantity=2),),
        shipping_address="1 A St",
    )
    assert plain(event) == dataclasses.asdict(event)
    assert plain(command) == dataclasses.asdict(command)
    assert plain({"nested": [line]}) == {"nested": [dataclasses.asdict(line)]}
    assert event.to_data()["lines"] == (dataclasses.asdict(line), dataclasses.asdict(line))

"""What a process knows of the views' positions, from notices: a notice that starts beyond
the last one heard follows one that was lost, so every watcher of that view looks again."""

import pytest

from workers.notices import ViewPositions

pytestmark = pytest.mark.anyio


async def no_positions() -> dict[str, int]:
    return {}


async def test_notices_in_a_chain_wake_only_the_watchers_of_the_rows_they_name():
    positions = ViewPositions(no_positions)
    x, y = positions.watch("orders", "x"), positions.watch("orders", "y")
    positions.deliver("orders", 5, ["y"], after=0)
    positions.deliver("orders", 9, ["y"], after=5)
    assert (x.qsize(), y.qsize()) == (0, 2)
    assert positions.latest("orders") == 9


async def test_a_notice_after_a_lost_one_wakes_every_watcher_of_that_view():
    positions = ViewPositions(no_positions)
    x, y = positions.watch("orders", "x"), positions.watch("orders", "y")
    other = positions.watch("products", "x")
    positions.deliver("orders", 5, ["y"], after=0)
    # the notice for 5 -> 8 (which changed x) never came
    positions.deliver("orders", 12, ["y"], after=8)
    assert (x.qsize(), y.qsize(), other.qsize()) == (1, 2, 0)
    assert positions.latest("orders") == 12

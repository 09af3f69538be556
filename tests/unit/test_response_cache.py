"""The response cache keeps an answer only while every row it read is unchanged."""

import json

from schema.response_cache import ReadLog, ResponseCache

ORDER = b'{"data":{"order":{"status":"PENDING"}},"extensions":{"viewPositions":{}}}'


def order_read(order_id: str, position: int = 7) -> ReadLog:
    return ReadLog(
        positions={"ORDER_DETAILS": position},
        projections={"ORDER_DETAILS": "order_details"},
        dependencies={("order_details", order_id)},
    )


def new_cache(known: dict[str, int] | None = None) -> ResponseCache:
    return ResponseCache(lambda: known or {})


def test_an_answer_is_served_again_with_the_positions_known_now():
    known = {"order_details": 7}
    cache = new_cache(known)
    cache.keep(b"q", ORDER, order_read("o1"), cache.epoch())
    known["order_details"] = 9  # the view moved on, but not on this order
    cache.invalidate("order_details", ["o2"])
    answer = cache.get(b"q")
    assert answer is not None
    body = json.loads(cache.render(answer))
    assert body == {
        "data": {"order": {"status": "PENDING"}},
        "extensions": {"viewPositions": {"ORDER_DETAILS": "9"}},
    }


def test_a_change_to_a_row_read_drops_the_answer():
    cache = new_cache()
    cache.keep(b"q", ORDER, order_read("o1"), cache.epoch())
    cache.invalidate("order_details", ["o1"])
    assert cache.get(b"q") is None


def test_a_change_to_unknown_rows_drops_every_answer_of_that_view_only():
    cache = new_cache()
    cache.keep(b"q1", ORDER, order_read("o1"), cache.epoch())
    other = ReadLog(
        positions={"PRODUCT_CATALOG": 1},
        projections={"PRODUCT_CATALOG": "product_catalog"},
        dependencies={("product_catalog", "p1")},
    )
    cache.keep(b"q2", ORDER, other, cache.epoch())
    cache.invalidate("order_details", None)
    assert cache.get(b"q1") is None and cache.get(b"q2") is not None


def test_a_list_depends_on_every_row_of_its_view():
    cache = new_cache()
    page = ReadLog(
        positions={"ORDER_SEARCH": 1},
        projections={"ORDER_SEARCH": "order_search"},
        dependencies={("order_search", None)},
    )
    cache.keep(b"q", ORDER, page, cache.epoch())
    cache.invalidate("order_search", ["any"])
    assert cache.get(b"q") is None


def test_an_answer_read_while_its_view_changed_is_not_kept():
    # Given a read that started before a change to the view was announced
    cache = new_cache()
    before = cache.epoch()
    cache.invalidate("order_details", ["o1"])
    # When its answer arrives, then it is not kept: it may predate the change
    cache.keep(b"q", ORDER, order_read("o1"), before)
    assert cache.get(b"q") is None


def test_errors_and_uncacheable_reads_are_never_kept():
    cache = new_cache()
    failed = b'{"data":null,"errors":[{"message":"STALE_VIEW"}]}'
    cache.keep(b"q1", failed, order_read("o1"), cache.epoch())
    mutation = ReadLog(cacheable=False)
    cache.keep(b"q2", b'{"data":{"x":1}}', mutation, cache.epoch())
    assert cache.get(b"q1") is None and cache.get(b"q2") is None


def test_the_least_recently_used_answers_go_past_the_size_limit():
    cache = ResponseCache(dict, max_bytes=700)
    for n in range(5):
        cache.keep(f"q{n}".encode(), ORDER, order_read(f"o{n}"), cache.epoch())
    assert cache.get(b"q0") is None and cache.get(b"q4") is not None

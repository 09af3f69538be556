"""searchOrders: words (customer name and e-mail, product names, address) and filters."""

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.e2e.commands import (
    accepted,
    add_product,
    cancel_order,
    create_order,
    register_customer,
    update_order_status,
)
from tests.e2e.graphql_http import post_graphql, query_errors
from tests.e2e.reads import SEARCH_ORDERS, all_pages, search_orders, settle


def word(prefix: str) -> str:
    """A word no other test uses: letters then hex digits, one token to the full-text index."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def shop(client: httpx.Client) -> dict[str, Any]:
    """Five orders, oldest first: Zelda's o1..o4, then Bruno's o5.

    o1  copper kettle x1              1000  address 1  PENDING
    o2  linen x2                       500  address 1  CONFIRMED
    o3  copper kettle x1 + linen x4   2000  address 2  CANCELLED
    o4  linen x1                       250  address 2  PENDING
    o5  copper kettle x3              3000  address 1  PENDING   (Bruno)
    """
    w = {key: word(key) for key in ("zelda", "mail", "domain", "copper", "linen", "street")}
    w["bruno"] = word("bruno")
    zelda_email = f"{w['mail']}@{w['domain']}.example.org"
    zelda = accepted(register_customer(client, name=f"Zelda {w['zelda']}", email=zelda_email))
    bruno = accepted(register_customer(client, name=f"Bruno {w['bruno']}"))
    kettle = accepted(add_product(client, name=f"Copper {w['copper']} Kettle", priceCents=1000))
    linen = accepted(
        add_product(client, name=f"Linen {w['linen']}", priceCents=125, initialStock=100)
    )
    address_1 = f"7 {w['street'].capitalize()} Street, Oslo"
    address_2 = "99 Elsewhere Road, Bergen"
    k, n = kettle["aggregateId"], linen["aggregateId"]
    z, b = zelda["aggregateId"], bruno["aggregateId"]
    placed = [
        accepted(create_order(client, z, (k, 1), shippingAddress=address_1)),
        accepted(create_order(client, z, (n, 4), shippingAddress=address_1)),
        accepted(create_order(client, z, (k, 1), (n, 8), shippingAddress=address_2)),
        accepted(create_order(client, z, (n, 2), shippingAddress=address_2)),
        accepted(create_order(client, b, (k, 3), shippingAddress=address_1)),
    ]
    ids = [result["aggregateId"] for result in placed]
    confirmed = accepted(update_order_status(client, ids[1], "CONFIRMED"))
    cancelled = accepted(cancel_order(client, ids[2]))
    settle(client, *placed, confirmed, cancelled)
    return {
        "words": w,
        "email": zelda_email,
        "ids": dict(zip(["o1", "o2", "o3", "o4", "o5"], ids, strict=True)),
    }


def found(client: httpx.Client, shop: dict[str, Any], **args: Any) -> list[str]:
    """The names (o1..o5) of the orders a search finds, in the order found; one page of 100."""
    names = {order_id: name for name, order_id in shop["ids"].items()}
    page = search_orders(client, first=100, **args)
    assert page["pageInfo"]["hasNextPage"] is False
    assert [edge["node"] for edge in page["edges"]] == page["nodes"]
    return [names.get(node["id"], node["id"]) for node in page["nodes"]]


def test_totals_and_statuses_of_the_fixture(client: httpx.Client, shop):
    page = search_orders(client, text=shop["words"]["zelda"])

    by_id = {node["id"]: node for node in page["nodes"]}
    ids = shop["ids"]
    assert [
        (by_id[ids[n]]["totalCents"], by_id[ids[n]]["status"]) for n in ("o1", "o2", "o3", "o4")
    ] == [
        (1000, "PENDING"),
        (500, "CONFIRMED"),
        (2000, "CANCELLED"),
        (250, "PENDING"),
    ]


def test_a_product_name_word_finds_the_orders_with_that_product(client: httpx.Client, shop):
    copper = shop["words"]["copper"]

    assert found(client, shop, text=copper) == ["o5", "o3", "o1"]
    assert found(client, shop, text=copper.upper()) == ["o5", "o3", "o1"]
    assert found(client, shop, text=copper[:9].capitalize()) == ["o5", "o3", "o1"], "a prefix"
    assert found(client, shop, text=shop["words"]["linen"]) == ["o4", "o3", "o2"]


def test_every_word_of_the_text_is_required(client: httpx.Client, shop):
    w = shop["words"]

    assert found(client, shop, text=f"{w['copper']} {w['linen']}") == ["o3"]
    assert found(client, shop, text=f"{w['copper']}, {w['bruno'][:8]}!") == ["o5"]
    assert found(client, shop, text=f"{w['copper']} {word('nothing')}") == []


def test_the_customer_name_finds_the_customers_orders(client: httpx.Client, shop):
    w = shop["words"]

    assert found(client, shop, text=f"zelda {w['zelda']}") == ["o4", "o3", "o2", "o1"]
    assert found(client, shop, text=w["zelda"][:10].upper()) == ["o4", "o3", "o2", "o1"]
    assert found(client, shop, text=f"Bruno {w['bruno']}") == ["o5"]


def test_the_email_finds_the_customers_orders(client: httpx.Client, shop):
    assert found(client, shop, text=shop["email"]) == ["o4", "o3", "o2", "o1"]
    assert found(client, shop, text=shop["email"].upper()) == ["o4", "o3", "o2", "o1"]
    assert found(client, shop, text=shop["words"]["domain"]) == ["o4", "o3", "o2", "o1"]


def test_an_address_word_finds_the_orders_shipped_there(client: httpx.Client, shop):
    street = shop["words"]["street"]

    assert found(client, shop, text=street.capitalize()) == ["o5", "o2", "o1"]
    assert found(client, shop, text=street[:10].upper()) == ["o5", "o2", "o1"]
    assert found(client, shop, text=f"{street} oslo") == ["o5", "o2", "o1"]


def test_accented_words_match_in_any_case_and_without_accents(client: httpx.Client, shop):
    marker = word("zoe")
    customer_id = accepted(register_customer(client, name=f"Zoë Ångström {marker}"))["aggregateId"]
    product_id = accepted(add_product(client, name="Crème Brûlée Dish"))["aggregateId"]
    placed = accepted(create_order(client, customer_id, (product_id, 1)))
    settle(client, placed)

    for text in ("ZOË", "zoe", "ångström", "ANGSTROM", "CRÈME brulee"):
        page = search_orders(client, text=f"{text} {marker}")
        assert [node["id"] for node in page["nodes"]] == [placed["aggregateId"]], text


def test_text_combines_with_status(client: httpx.Client, shop):
    w = shop["words"]

    assert found(client, shop, text=w["zelda"], status="PENDING") == ["o4", "o1"]
    assert found(client, shop, text=w["zelda"], status="CANCELLED") == ["o3"]
    assert found(client, shop, text=w["street"], status="CONFIRMED") == ["o2"]
    assert found(client, shop, text=w["zelda"], status="SHIPPED") == []


def test_text_combines_with_total_bounds_both_included(client: httpx.Client, shop):
    w = shop["words"]

    assert found(client, shop, text=w["zelda"], minTotalCents=500, maxTotalCents=1000) == [
        "o2",
        "o1",
    ]
    assert found(client, shop, text=w["zelda"], minTotalCents=1001) == ["o3"]
    assert found(client, shop, text=w["zelda"], maxTotalCents=499) == ["o4"]
    assert found(client, shop, text=w["copper"], minTotalCents=2000, status="PENDING") == ["o5"]
    assert found(client, shop, text=w["zelda"], minTotalCents=600, maxTotalCents=900) == []


def created_at(client: httpx.Client, shop: dict[str, Any]) -> dict[str, datetime]:
    page = search_orders(client, text=shop["words"]["zelda"])
    names = {order_id: name for name, order_id in shop["ids"].items()}
    return {names[node["id"]]: datetime.fromisoformat(node["createdAt"]) for node in page["nodes"]}


def test_text_combines_with_a_creation_window_both_ends_included(client: httpx.Client, shop):
    times = created_at(client, shop)
    zelda = shop["words"]["zelda"]

    window = {"createdFrom": times["o2"].isoformat(), "createdTo": times["o3"].isoformat()}
    assert found(client, shop, text=zelda, **window) == ["o3", "o2"]
    assert found(client, shop, text=zelda, createdFrom=times["o4"].isoformat()) == ["o4"]
    assert found(client, shop, text=zelda, createdTo=times["o1"].isoformat()) == ["o1"]
    just_after = (times["o4"] + timedelta(microseconds=1)).isoformat()
    assert found(client, shop, text=zelda, createdFrom=just_after) == []


def test_a_creation_window_in_another_offset_means_the_same_instants(client: httpx.Client, shop):
    times = created_at(client, shop)
    zelda = shop["words"]["zelda"]
    oslo_summer, new_york = timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))

    window = {
        "createdFrom": times["o2"].astimezone(oslo_summer).isoformat(),
        "createdTo": times["o3"].astimezone(new_york).isoformat(),
    }

    assert found(client, shop, text=zelda, **window) == ["o3", "o2"], window


def test_a_creation_time_without_an_offset_is_refused_without_internals(client: httpx.Client, shop):
    """A DateTime carries an offset. One without may be read as UTC or refused, but a refusal
    must say what is wrong with the argument, not show the database's SQL."""
    response = post_graphql(
        client,
        SEARCH_ORDERS,
        {"text": shop["words"]["zelda"], "createdFrom": "2000-01-01T00:00:00", "first": 100},
    )

    assert response.status_code in (200, 400), response.text
    body = response.json()
    if body.get("errors"):
        messages = [error["message"] for error in body["errors"]]
        assert not any("SQL" in m or "SELECT" in m for m in messages), messages
    else:
        assert len(body["data"]["searchOrders"]["nodes"]) == 4


def test_search_results_page_like_any_connection(client: httpx.Client, shop):
    zelda = shop["words"]["zelda"]

    pages = all_pages(lambda **args: search_orders(client, text=zelda, **args), 3)

    assert [len(page["nodes"]) for page in pages] == [3, 1]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, False]
    for page in pages:
        assert [edge["node"] for edge in page["edges"]] == page["nodes"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
    ids = shop["ids"]
    assert [node["id"] for page in pages for node in page["nodes"]] == [
        ids["o4"],
        ids["o3"],
        ids["o2"],
        ids["o1"],
    ]
    ones = all_pages(lambda **args: search_orders(client, text=zelda, **args), 1)
    assert [page["nodes"][0]["id"] for page in ones] == [ids[n] for n in ("o4", "o3", "o2", "o1")]


def test_without_text_every_order_is_found_newest_first(client: httpx.Client, shop):
    pages = all_pages(lambda **args: search_orders(client, **args), 100)

    nodes = [node for page in pages for node in page["nodes"]]
    ids = [node["id"] for node in nodes]
    assert len(ids) == len(set(ids)), "no order twice"
    assert set(shop["ids"].values()) <= set(ids)
    keys = [(datetime.fromisoformat(node["createdAt"]), node["id"]) for node in nodes]
    assert keys == sorted(keys, reverse=True)
    mine = [i for i in ids if i in set(shop["ids"].values())]
    assert mine == [shop["ids"][n] for n in ("o5", "o4", "o3", "o2", "o1")]


def test_text_that_looks_like_query_syntax_is_taken_as_words(client: httpx.Client, shop):
    copper = shop["words"]["copper"]

    # OR and NOT are plain words here, required like any other: no order has them.
    assert found(client, shop, text=f'"{copper}" OR NOT*') == []
    assert found(client, shop, text=f"{copper}* (") == ["o5", "o3", "o1"]
    assert found(client, shop, text=f"-{copper}^:") == ["o5", "o3", "o1"]
    assert found(client, shop, text=f'{copper}"') == ["o5", "o3", "o1"]


@pytest.mark.parametrize("first", [0, 101])
def test_a_page_size_out_of_range_is_a_graphql_error(client: httpx.Client, shop, first):
    assert query_errors(client, SEARCH_ORDERS, text=shop["words"]["zelda"], first=first)


def test_a_garbage_cursor_is_a_graphql_error(client: httpx.Client, shop):
    assert query_errors(client, SEARCH_ORDERS, text=shop["words"]["zelda"], after="garbage")

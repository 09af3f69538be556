"""product(id) and products(text, first, after): the PRODUCT_CATALOG view."""

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.commands import (
    ADD_PRODUCT,
    accepted,
    add_product,
    cancel_order,
    change_product_price,
    create_order,
    new_id,
    register_customer,
    restock_product,
    update_order_status,
)
from tests.e2e.graphql_http import gql, post_graphql, query_errors
from tests.e2e.reads import PRODUCTS, all_pages, get_product, list_products, settle


def stock(product: dict[str, Any] | None) -> tuple[int, int, int]:
    assert product is not None
    assert product["available"] == product["stockOnHand"] - product["reserved"]
    return product["stockOnHand"], product["reserved"], product["available"]


def test_a_new_product_reads_back_with_every_field(client: httpx.Client):
    sku = f"TEA-{new_id()}"
    added = accepted(
        add_product(
            client,
            sku=sku,
            name="Earl Grey",
            description="Bergamot",
            priceCents=1299,
            initialStock=40,
        ),
        version=1,
    )
    settle(client, added)

    assert get_product(client, added["aggregateId"]) == {
        "id": added["aggregateId"],
        "sku": sku,
        "name": "Earl Grey",
        "description": "Bergamot",
        "priceCents": 1299,
        "stockOnHand": 40,
        "reserved": 0,
        "available": 40,
        "version": 1,
    }


def test_a_product_without_a_description_has_null(client: httpx.Client):
    payload = {"sku": f"BARE-{new_id()}", "name": "Bare", "priceCents": 1, "initialStock": 0}
    added = accepted(_add_bare(client, payload))
    settle(client, added)

    product = get_product(client, added["aggregateId"])

    assert product is not None
    assert product["description"] is None
    assert stock(product) == (0, 0, 0)


def _add_bare(client: httpx.Client, payload: dict[str, Any]) -> dict[str, Any]:
    """addProduct with exactly this input (the helper would add a description)."""
    result: dict[str, Any] = gql(client, ADD_PRODUCT, input=payload)["addProduct"]
    return result


def test_stock_follows_orders_shipping_cancelling_and_restocking(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    product_id = accepted(add_product(client, initialStock=10))["aggregateId"]

    def after(result: dict[str, Any]) -> tuple[int, int, int]:
        settle(client, accepted(result))
        return stock(get_product(client, product_id))

    first = accepted(create_order(client, customer_id, (product_id, 3)))
    settle(client, first)
    assert stock(get_product(client, product_id)) == (10, 3, 7), "placing an order reserves"
    second = accepted(create_order(client, customer_id, (product_id, 2)))
    settle(client, second)
    assert stock(get_product(client, product_id)) == (10, 5, 5)

    assert after(update_order_status(client, first["aggregateId"], "CONFIRMED")) == (10, 5, 5)
    assert after(update_order_status(client, first["aggregateId"], "SHIPPED")) == (7, 2, 5), (
        "shipping takes the reserved stock out of the warehouse"
    )
    assert after(update_order_status(client, first["aggregateId"], "DELIVERED")) == (7, 2, 5)
    assert after(cancel_order(client, second["aggregateId"])) == (7, 0, 7), (
        "cancelling releases the reservation"
    )
    assert after(restock_product(client, product_id, 13)) == (20, 0, 20)
    product = get_product(client, product_id)
    assert product is not None
    # Added, two reservations, a shipment, a release, a restock: the product's stream.
    assert product["version"] == 6


def test_an_order_of_several_products_reserves_each(client: httpx.Client):
    customer_id = accepted(register_customer(client))["aggregateId"]
    a = accepted(add_product(client, initialStock=5))["aggregateId"]
    b = accepted(add_product(client, initialStock=8))["aggregateId"]
    placed = accepted(create_order(client, customer_id, (a, 5), (b, 1)))
    settle(client, placed)

    assert stock(get_product(client, a)) == (5, 5, 0)
    assert stock(get_product(client, b)) == (8, 1, 7)

    cancelled = accepted(cancel_order(client, placed["aggregateId"]))
    settle(client, cancelled)
    assert stock(get_product(client, a)) == (5, 0, 5)
    assert stock(get_product(client, b)) == (8, 0, 8)


def test_a_price_change_shows_with_the_next_version(client: httpx.Client):
    product_id = accepted(add_product(client, priceCents=2500))["aggregateId"]
    changed = accepted(change_product_price(client, product_id, 1999), version=2)
    settle(client, changed)

    product = get_product(client, product_id)

    assert product is not None
    assert (product["priceCents"], product["version"]) == (1999, changed["version"])
    assert stock(product) == (10, 0, 10)


def test_an_unknown_product_is_null_and_a_malformed_id_an_error(client: httpx.Client):
    assert get_product(client, new_id()) is None
    response = post_graphql(
        client, "query($id: ID!) { product(id: $id) { id } }", {"id": "not-a-product-id"}
    )
    assert [e["message"] for e in response.json()["errors"]] == ["id must be a UUID"]


def tag() -> str:
    return f"q{uuid.uuid4().hex[:10]}"


def test_products_are_paged_by_name(client: httpx.Client):
    mark = tag()
    names = [f"{mark} {fruit}" for fruit in ("Plum", "apple", "Kiwi", "Fig", "Date", "Cherry")]
    added = [accepted(add_product(client, name=name)) for name in names]
    # Two products of the same name are both listed, in a stable order.
    added.append(accepted(add_product(client, name=f"{mark} Fig")))
    settle(client, *added)

    pages = all_pages(lambda **args: list_products(client, text=mark, **args), 3)

    assert [len(page["nodes"]) for page in pages] == [3, 3, 1]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
    for page in pages:
        assert [edge["node"] for edge in page["edges"]] == page["nodes"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
    nodes = [node for page in pages for node in page["nodes"]]
    listed = [node["name"] for node in nodes]
    assert listed == sorted([*names, f"{mark} Fig"])
    assert {node["id"] for node in nodes} == {result["aggregateId"] for result in added}
    figs = [node["id"] for node in nodes if node["name"] == f"{mark} Fig"]
    assert figs == sorted(figs)


def test_products_match_text_in_name_or_sku_case_insensitively(client: httpx.Client):
    mark = tag()
    by_name = accepted(add_product(client, name=f"Mug {mark.upper()} Blue", sku=f"S-{new_id()}"))
    by_sku = accepted(add_product(client, name="Saucer", sku=f"sku-{mark}-x"))
    accepted(add_product(client, name="Unrelated"))
    settle(client, by_name, by_sku)

    def matched(text: str) -> set[str]:
        page = list_products(client, text=text, first=100)
        assert page["pageInfo"]["hasNextPage"] is False
        return {node["id"] for node in page["nodes"]}

    both = {by_name["aggregateId"], by_sku["aggregateId"]}
    assert matched(mark) == both
    assert matched(mark.upper()) == both
    assert matched(mark[3:8]) == both, "anywhere in the name or SKU"
    assert matched(f"{mark} blue") == {by_name["aggregateId"]}
    assert matched(f"SKU-{mark}") == {by_sku["aggregateId"]}


def test_products_match_accented_text_case_insensitively(client: httpx.Client):
    mark = tag()
    added = accepted(add_product(client, name=f"Crème Brûlée Dish {mark}"))
    settle(client, added)

    def matched(text: str) -> list[str]:
        return [node["id"] for node in list_products(client, text=text, first=100)["nodes"]]

    assert matched(f"crème brûlée dish {mark}") == [added["aggregateId"]]
    assert matched(f"CRÈME BRÛLÉE DISH {mark.upper()}") == [added["aggregateId"]]


def test_like_wildcards_in_the_text_are_taken_literally(client: httpx.Client):
    mark = tag()
    percent = accepted(add_product(client, name=f"{mark} 100% cotton"))
    underscore = accepted(add_product(client, name=f"{mark} snake_case"))
    plain = accepted(add_product(client, name=f"{mark} 1000 cotton snakeXcase"))
    settle(client, percent, underscore, plain)

    def matched(text: str) -> list[str]:
        return [node["id"] for node in list_products(client, text=text, first=100)["nodes"]]

    assert matched("100% cotton") == [percent["aggregateId"]]
    assert matched(f"{mark}%cotton") == []
    assert matched("snake_case") == [underscore["aggregateId"]]
    assert matched(f"{mark}_") == []


def test_products_without_text_list_every_product_by_name(client: httpx.Client):
    settle(client, accepted(add_product(client, name=f"Zzz {tag()}")))

    pages = all_pages(lambda **args: list_products(client, **args), 100)

    nodes = [node for page in pages for node in page["nodes"]]
    keys = [(node["name"], node["id"]) for node in nodes]
    assert keys == sorted(keys)
    assert len({node["id"] for node in nodes}) == len(nodes)


@pytest.mark.parametrize("first", [0, 101])
def test_a_page_size_out_of_range_is_a_graphql_error(client: httpx.Client, first):
    assert query_errors(client, PRODUCTS, first=first)


@pytest.mark.parametrize("cursor", ["garbage", "", "WyJhIl0="])
def test_a_garbage_cursor_is_a_graphql_error(client: httpx.Client, cursor):
    assert query_errors(client, PRODUCTS, first=5, after=cursor)

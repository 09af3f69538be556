"""The pure parts of benchmarks/http.py: wrk's report, the Lua data, the seed, the options."""

import argparse

import pytest

from benchmarks.http import (
    RESULT_MARK,
    BenchmarkError,
    Measurement,
    Options,
    Seed,
    batch_mutation,
    lua_data,
    lua_string,
    parse_wrk_output,
)

REPORT = (
    '{"requests": 8000, "seconds": 4.0, "requests_per_s": 2000.0, "p50_ms": 14.5,'
    ' "p99_ms": 50.25, "connect": 0, "read": 1, "write": 0, "status": 2, "timeout": 3,'
    ' "bad_bodies": 4}'
)


def test_the_report_line_is_found_among_wrks_own_output() -> None:
    output = f"Running 4s test @ http://x/graphql\n  1 threads\n{RESULT_MARK}{REPORT}\n"

    measurement = parse_wrk_output(output)

    assert measurement == Measurement(
        requests=8000,
        requests_per_s=2000.0,
        p50_ms=14.5,
        p99_ms=50.25,
        socket_errors=4,
        http_errors=2,
        bad_bodies=4,
    )
    assert measurement.failure is None  # 10 of 8,000 is under 1%


def test_output_without_a_report_is_an_error() -> None:
    with pytest.raises(ValueError, match="no BENCH-RESULT line"):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


@pytest.mark.parametrize(
    ("requests", "socket_errors", "http_errors", "bad_bodies", "fails"),
    [
        (1000, 0, 0, 10, False),
        (1000, 0, 0, 11, True),
        (1000, 5, 6, 0, True),
        (0, 0, 0, 0, True),
    ],
)
def test_a_run_fails_with_more_than_one_percent_wrong(
    requests: int, socket_errors: int, http_errors: int, bad_bodies: int, fails: bool
) -> None:
    measurement = Measurement(requests, 100.0, 1.0, 2.0, socket_errors, http_errors, bad_bodies)

    assert (measurement.failure is not None) is fails


def test_lua_long_strings_never_end_early() -> None:
    assert lua_string("plain") == "[[plain]]"
    assert lua_string("a]]b") == "[=[a]]b]=]"
    assert lua_string("a]]b]=]c") == "[==[a]]b]=]c]==]"


def test_the_lua_data_lists_the_seeded_ids_and_json_queries() -> None:
    seed = Seed.plan(customers=3, products=5, orders=4)

    data = lua_data(seed)

    assert data.startswith("return {")
    assert f"[[{chr(10).join(seed.products)}]]" in data
    assert '"query Order($id: ID!) {' in data


def test_the_seed_is_the_same_every_time() -> None:
    seed = Seed.plan(customers=10, products=6, orders=50)

    assert seed == Seed.plan(customers=10, products=6, orders=50)
    assert all(1 <= len(order.lines) <= 4 for order in seed.orders)
    assert all(
        len({product for product, _ in order.lines}) == len(order.lines) for order in seed.orders
    )
    assert set(seed.buyers) == {order.customer_id for order in seed.orders}


def test_options_take_what_the_caller_has_and_default_the_rest() -> None:
    options = Options.of(argparse.Namespace(orders=2000, duration=4.4, runs=1))

    assert options == Options(orders=2000, duration=4, runs=1)


def test_orders_of_four_lines_need_four_products() -> None:
    with pytest.raises(BenchmarkError):
        Options.of(argparse.Namespace(products=3))


def test_a_seeding_request_aliases_one_mutation_per_input() -> None:
    query = batch_mutation("createOrder", "CreateOrderInput", 2)

    assert query.startswith("mutation Seed($i0: CreateOrderInput!, $i1: CreateOrderInput!) {")
    assert "m1: createOrder(input: $i1) { ok " in query

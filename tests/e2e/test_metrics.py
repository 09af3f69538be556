"""/metrics as Prometheus scrapes it: after a few commands the counters have moved by
exactly that much, and the projections report where they stand."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.commands import (
    accepted,
    add_product,
    create_order,
    new_id,
    refused,
    register_customer,
)
from tests.e2e.reads import wait_for_views

Sample = tuple[str, tuple[tuple[str, str], ...]]


def scrape(client: httpx.Client) -> dict[Sample, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def moved(before: dict[Sample, float], after: dict[Sample, float], name: str, **labels: str):
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_a_scrape_after_some_commands_shows_exactly_those(client: httpx.Client) -> None:
    customer = accepted(register_customer(client))["aggregateId"]
    product = accepted(add_product(client, initialStock=100))["aggregateId"]
    before = scrape(client)

    command_id = new_id()
    for _ in range(3):
        accepted(create_order(client, customer, (product, 1)))
    accepted(create_order(client, customer, (product, 1), commandId=command_id))
    replay = create_order(client, customer, (product, 1), commandId=command_id)
    assert replay["replayed"] is True
    refused(create_order(client, customer, (product, 0)), "VALIDATION", "items.0.quantity")
    refused(create_order(client, customer, (product, 1000)), "RULE_VIOLATED", "items.0.quantity")
    after = scrape(client)

    def commands(outcome: str) -> float:
        return moved(before, after, "orders_commands_total", command="createOrder", outcome=outcome)

    assert commands("ok") == 4
    assert commands("replayed") == 1
    assert commands("VALIDATION") == 1
    assert commands("RULE_VIOLATED") == 1
    assert moved(before, after, "orders_command_duration_seconds_count", command="createOrder") == 7
    assert moved(before, after, "orders_events_appended_total") == 8  # 4 orders, 2 events each
    ok_mutations = moved(
        before, after, "orders_graphql_operations_total", operation_type="mutation", outcome="ok"
    )
    assert ok_mutations == 7  # a refusal is data, not a GraphQL error
    assert moved(before, after, "orders_http_responses_total", route="/graphql", status="200") == 7


def test_each_projection_reports_position_lag_and_state(client: httpx.Client) -> None:
    written = accepted(register_customer(client))
    wait_for_views(client, int(written["position"]))
    samples = scrape(client)
    positions = {
        dict(labels)["projection"]: value
        for (name, labels), value in samples.items()
        if name == "orders_projection_position"
    }
    assert len(positions) == 7  # the embedded mode: this process runs the projections
    assert all(value >= int(written["position"]) for value in positions.values())
    for projection in positions:
        assert samples[("orders_projection_state", (("projection", projection),))] == 0
        assert samples[("orders_projection_lag_events", (("projection", projection),))] >= 0

"""The operator's command line, run as a user would, against a database with real events."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx

from tests.e2e.commands import accepted, add_product, create_order, register_customer
from tests.e2e.processes import ORDERS, environment, running_server

NAMES = [
    "order_details",
    "customer_orders",
    "order_search",
    "product_catalog",
    "customer_summary",
    "sales_report",
    "confirmation_emails",
]


def orders(*arguments: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ORDERS, *arguments], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_status_rebuild_and_refusals(tmp_path: Path) -> None:
    env = environment(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/orders.db")
    # Given a log with a few orders, projected by a server that has since stopped
    with running_server(tmp_path, env) as server, httpx.Client(base_url=server.base_url) as client:
        customer = accepted(register_customer(client))["aggregateId"]
        product = accepted(add_product(client))["aggregateId"]
        for _ in range(5):
            accepted(create_order(client, customer, (product, 1)))
    # When an operator asks for the status, then every projection is listed, caught up
    status = orders("projections", "status", env=env, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    header, *rows = status.stdout.splitlines()
    assert header.split()[:5] == ["name", "position", "head", "lag", "state"]
    assert [row.split()[0] for row in rows] == NAMES
    assert all(row.split()[3:5] == ["0", "RUNNING"] for row in rows), status.stdout
    # When a view is rebuilt, then progress is shown and the new generation goes live
    rebuilt = orders("projections", "rebuild", "order_details", env=env, cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "order_details: generation 2 is live" in rebuilt.stdout
    assert "events" in rebuilt.stderr and "100%" in rebuilt.stderr  # the progress bar
    # and for scripts, the status is JSON
    as_json = orders("projections", "status", "--json", env=env, cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    records = json.loads(as_json.stdout)
    assert [record["name"] for record in records] == NAMES
    assert all((r["lag"], r["state"], r["error"]) == (0, "RUNNING", None) for r in records)
    # and a reaction, or an unknown name, is refused with a reason
    reaction = orders("projections", "rebuild", "confirmation_emails", env=env, cwd=tmp_path)
    assert reaction.returncode == 2 and "reaction" in reaction.stderr
    unknown = orders("projections", "retry", "nope", env=env, cwd=tmp_path)
    assert unknown.returncode == 2 and "order_details" in unknown.stderr
    # and skipping a projection that has not failed changes nothing
    skip = orders("projections", "skip", "sales_report", env=env, cwd=tmp_path)
    assert skip.returncode == 0 and "has not failed" in skip.stdout


def test_an_operator_command_where_there_is_no_database_says_where_it_looked(
    tmp_path: Path,
) -> None:
    status = orders("projections", "status", env=environment(), cwd=tmp_path)
    assert status.returncode == 2
    assert status.stderr.count("\n") == 1, status.stderr
    assert f"no database at {tmp_path}/data/orders.db" in status.stderr
    assert "DATABASE_URL" in status.stderr
    assert list(tmp_path.iterdir()) == [], "an operator command created files"


def test_a_plain_path_is_an_sqlite_database_and_a_foreign_url_one_line(tmp_path: Path) -> None:
    env = environment(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/orders.db")
    with running_server(tmp_path, env) as server, httpx.Client(base_url=server.base_url) as client:
        accepted(register_customer(client))
    plain = orders("projections", "status", env=env | {"DATABASE_URL": "orders.db"}, cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "customer_summary" in plain.stdout
    foreign = orders(
        "projections", "status", env=env | {"DATABASE_URL": "mysql://x/y"}, cwd=tmp_path
    )
    assert foreign.returncode == 2
    assert foreign.stderr.count("\n") == 1, foreign.stderr
    assert "postgresql://" in foreign.stderr and "file path" in foreign.stderr


def test_the_installed_packages_come_compiled() -> None:
    """Where PYTHONDONTWRITEBYTECODE=1 (containers), a package without bytecode is compiled
    again at every start: make install compiles it once (4 s -> under 1 s per command)."""
    import importlib.util

    import graphql
    import sqlalchemy
    import starlette
    import strawberry

    for package in (graphql, sqlalchemy, starlette, strawberry):
        assert package.__file__ is not None
        compiled = Path(importlib.util.cache_from_source(package.__file__))
        assert compiled.exists(), f"{package.__name__} has no bytecode: make install compiles it"

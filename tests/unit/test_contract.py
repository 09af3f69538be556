"""The served schema keeps the public contract: it may add to it, never break it."""

from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes, lexicographic_sort_schema, print_schema

from schema.app import schema

CONTRACT = Path(__file__).parents[2] / "schema" / "contract.graphql"
SHARED = Path(__file__).parents[3] / "shared" / "api" / "contract.graphql"


def normalized(sdl: str) -> str:
    return print_schema(lexicographic_sort_schema(build_schema(sdl)))


def test_the_served_schema_breaks_nothing_in_the_contract():
    contract = build_schema(CONTRACT.read_text())
    served = build_schema(schema.as_str())
    assert [
        f"{change.type.name}: {change.description}"
        for change in find_breaking_changes(contract, served)
    ] == []


def test_the_served_schema_serves_every_field_of_the_contract():
    contract, served = build_schema(CONTRACT.read_text()), build_schema(schema.as_str())
    for name in ("Query", "Mutation", "Subscription"):
        wanted = set(contract.get_type(name).fields)  # type: ignore[union-attr]
        assert wanted <= set(served.get_type(name).fields), name  # type: ignore[union-attr]


@pytest.mark.skipif(
    not SHARED.exists(), reason="the team's shared/ folder is not beside this checkout"
)
def test_the_projects_copy_of_the_contract_has_not_drifted():
    assert normalized(CONTRACT.read_text()) == normalized(SHARED.read_text())

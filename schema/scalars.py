"""Custom scalars of the contract, registered in the schema's scalar map."""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

POSITION_MAX = 2**63 - 1

Position = NewType("Position", int)


def _parse_position(value: object) -> Position:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("a Position is a decimal string or an integer")
    try:
        position = int(value)
    except ValueError:
        raise ValueError(f"not a Position: {value!r}") from None
    if not 0 <= position <= POSITION_MAX:
        raise ValueError(f"a Position lies between 0 and {POSITION_MAX}")
    return Position(position)


SCALARS: dict[object, ScalarDefinition] = {
    Position: strawberry.scalar(
        name="Position",
        description="A global event-log position: a decimal string out, a string or integer in.",
        serialize=str,
        parse_value=_parse_position,
    ),
}

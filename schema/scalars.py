"""Custom scalars of the contract."""

from __future__ import annotations

from typing import NewType

import strawberry

POSITION_MAX = 2**63 - 1


def _parse_position(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("a Position is a decimal string or an integer")
    try:
        position = int(value)
    except ValueError:
        raise ValueError(f"not a Position: {value!r}") from None
    if not 0 <= position <= POSITION_MAX:
        raise ValueError(f"a Position lies between 0 and {POSITION_MAX}")
    return position


Position = strawberry.scalar(
    NewType("Position", int),
    name="Position",
    description="A global event-log position; a decimal string on output, a string or integer on input.",
    serialize=str,
    parse_value=_parse_position,
)

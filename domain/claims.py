"""Unique-value claims: one stream per claimed value (an e-mail, a SKU).

Appending to a claim stream expecting version 0 is what makes the value unique: two
commands racing for it cannot both append, whatever the views say.
"""

from __future__ import annotations

from domain.errors import Conflict
from domain.events import Event, ValueClaimed


def evolve(owner: str | None, event: Event) -> str | None:
    return event.owner_id if isinstance(event, ValueClaimed) else owner


def claim(owner: str | None, new_owner: str, *, field: str, what: str) -> list[Event]:
    if owner is not None:
        raise Conflict(f"{what} is already taken", field=field)
    return [ValueClaimed(owner_id=new_owner)]

"""Dataclasses as plain data (dicts, lists, strings, numbers), for the log and fingerprints."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any


def plain(value: Any) -> Any:
    """What `dataclasses.asdict` gives, without its deep copy of every leaf: the write path
    turns every event and command into data (an OrderCreated: 5.0 us here, 12.8 with asdict)."""
    names = _field_names(type(value))  # type: ignore[arg-type]
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return type(value)(plain(item) for item in value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(field.name for field in dataclasses.fields(cls))

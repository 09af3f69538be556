"""Folding a history of events into state, as the repository does."""

from collections.abc import Callable
from typing import Any

from domain.events import Event


def fold(evolve: Callable[[Any, Event], Any], *history: Event) -> Any:
    state = None
    for event in history:
        state = evolve(state, event)
    return state

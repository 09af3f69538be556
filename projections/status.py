"""How a projection stands, as an operator sees it (the CLI, the `projections` query, the
metrics): its checkpoints and how far the log is ahead of them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from projections.checkpoints import Checkpoint, State
from projections.projection import Projection


class Standing(enum.StrEnum):
    """How a projection stands, as an operator sees it: its checkpoint's State, and the log."""

    RUNNING = "RUNNING"  # at the head
    CATCHING_UP = "CATCHING_UP"  # behind the head, applying
    FAILED = "FAILED"  # stopped on an event: retry or skip it
    REBUILDING = "REBUILDING"  # a new generation is being filled beside the live one


@dataclass(frozen=True)
class Status:
    """A projection as an operator sees it: its live generation, and any rebuild under way."""

    projection: Projection
    live: Checkpoint
    rebuilding: Checkpoint | None
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.live.position, 0)

    @property
    def state(self) -> Standing:
        if self.live.state is State.FAILED:
            return Standing.FAILED
        if self.rebuilding is not None:
            return Standing.REBUILDING
        return Standing.RUNNING if self.lag == 0 else Standing.CATCHING_UP

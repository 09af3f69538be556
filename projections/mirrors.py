"""Mirrors: copies of a view's rows kept outside its database (a cache), told of each change.

A copy cannot commit with the view, so the engine tells a mirror twice: `claim` inside the
batch's transaction, before it commits (the copy must stop serving those rows: a copy that
is missing is safe, one that is old is not), and `fill` after the commit (the rows as
committed). A runner that dies between the two leaves rows claimed and unfilled: readers
then read the view. `clear` follows a change to rows unknown (a rebuilt generation gone
live, a skipped event).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from projections.projection import Row


class Mirror(Protocol):
    def claim(self, rows: Sequence[Row]) -> Any:
        """These rows are about to change; returns a token that `fill` is given back."""

    def fill(self, rows: Sequence[Row], position: int, claimed: Any) -> None:
        """These rows are committed, as of log `position`."""

    def clear(self) -> None:
        """Every row may have changed."""


class MirrorFailed(Exception):
    """A mirror could not take a claim: the batch is undone and tried again later, like a
    batch the database could not take (it is no event's fault)."""

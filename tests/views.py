"""Test helpers that look into the views' tables through the public surface."""

from __future__ import annotations

from sqlalchemy import Table

from projections.engine import ProjectionEngine
from projections.generations import GenerationTables


def live_tables(engine: ProjectionEngine, name: str) -> dict[str, Table]:
    """The physical tables of the live generation of projection `name`, by logical name."""
    (status,) = [s for s in engine.operations.statuses() if s.projection.name == name]
    return GenerationTables().tables(status.projection, status.live.generation)

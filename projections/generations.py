"""The physical tables of a projection's generations: `<table>_g<generation>`."""

from __future__ import annotations

from sqlalchemy import MetaData, Table
from sqlalchemy.sql.elements import quoted_name

from projections.projection import Projection


class GenerationTables:
    """Builds (once) and hands out the tables of each generation of each projection."""

    def __init__(self) -> None:
        self._metadata = MetaData()
        self._tables: dict[tuple[str, int], dict[str, Table]] = {}

    def tables(self, projection: Projection, generation: int) -> dict[str, Table]:
        """The tables of one generation, by their logical names."""
        key = (projection.name, generation)
        if key not in self._tables:
            self._tables[key] = {t.name: self._copy(t, generation) for t in projection.tables}
        return self._tables[key]

    def _copy(self, table: Table, generation: int) -> Table:
        suffix = f"_g{generation}"
        copy = table.to_metadata(self._metadata, name=table.name + suffix)
        for index in copy.indexes:
            index.name = quoted_name(f"{index.name}{suffix}", quote=None)
        return copy

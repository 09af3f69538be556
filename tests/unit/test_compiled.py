"""Statements compiled once (domain/compiled.py): their values converted as SQLAlchemy would."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert
from sqlalchemy.dialects import sqlite

from domain.compiled import Compiled

stamped = Table(
    "stamped",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True)),
)


def converted(rows: list[dict[str, object]]) -> list[object]:
    statement = Compiled(sqlite.dialect(), insert(stamped))
    return [statement._parameters(row) for row in rows]


def test_a_time_written_again_is_converted_as_the_first_time_and_an_equal_one_on_its_own():
    # Given one time, the same instant in another zone, and a later time
    noon = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    in_paris = noon.astimezone(ZoneInfo("Europe/Paris"))
    later = datetime(2026, 1, 1, 12, 0, 0, 1, tzinfo=UTC)

    # When rows carry them, the first time again and again, then the others, then no time
    rows = [{"id": 1, "at": noon}, {"id": 2, "at": noon}, {"id": 3, "at": in_paris}]
    rows += [{"id": 4, "at": later}, {"id": 5, "at": noon}, {"id": 6, "at": None}]

    # Then each is written as SQLAlchemy's SQLite converter writes it: the wall clock as
    # given, so the equal instant in Paris reads otherwise, and a remembered value is never
    # handed to another
    assert converted(rows) == [
        (1, "2026-01-01 12:00:00.000000"),
        (2, "2026-01-01 12:00:00.000000"),
        (3, "2026-01-01 13:00:00.000000"),
        (4, "2026-01-01 12:00:00.000001"),
        (5, "2026-01-01 12:00:00.000000"),
        (6, None),
    ]

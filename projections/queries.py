"""Read queries: each reads the live generation of one view, with one indexed query.

Lists are pages in keyset order (never OFFSET): a cursor carries the sort key of the last
row a page showed, so a page starts exactly after it however the view changes meanwhile.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, partial
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    bindparam,
    literal,
    select,
    tuple_,
)
from sqlalchemy.exc import DBAPIError

from domain.compiled import Prepared
from projections import (
    customer_orders,
    customer_summary,
    order_details,
    order_search,
    product_catalog,
    sales_report,
)
from projections.checkpoints import checkpoints
from projections.generations import GenerationTables
from projections.projection import Projection, Row

T = TypeVar("T")


class BadArgument(ValueError):
    """A read asked for in a way no view can answer: the client's mistake, told to it."""


class BadCursor(BadArgument):
    """A page cursor that this service did not hand out."""


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    cursors: list[str]
    has_next_page: bool


class ReadModel:
    """Reads the live generation of each view: one statement per read, on a blocking
    connection in a worker thread. Through the asyncio adapter every step of a read (the
    cursor, the statement, the rows, the rollback) was a hop to the driver's thread and back;
    this is one hop per read.

    Which generation is live is kept in memory and looked up again only when its table has
    gone (a rebuild was promoted and the old generation dropped). Where each view has got
    to is known from the notices (workers.notices), not read here.
    """

    def __init__(self, engine: Engine, generations: GenerationTables) -> None:
        self._engine = engine
        self._generations = generations
        self._live: dict[str, int] = {}  # projection name -> its live generation

    async def order(self, order_id: str) -> Row | None:
        return await self._read(order_details.PROJECTION, partial(_by_key, order_id))

    async def customer_orders(
        self, customer_id: str, first: int, after: str | None, status: str | None
    ) -> Page:
        def read(conn: Connection, orders: Table) -> Page:
            filters = [orders.c.customer_id == customer_id]
            if status is not None:
                filters.append(orders.c.status == status)
            return _newest_first(conn, orders, filters, first, after)

        return await self._read(customer_orders.PROJECTION, read)

    async def search_orders(
        self,
        *,
        customer_id: str | None = None,
        text_query: str | None,
        status: str | None,
        min_total: int | None,
        max_total: int | None,
        created_from: datetime | None,
        created_to: datetime | None,
        first: int,
        after: str | None,
    ) -> Page:
        def read(conn: Connection, orders: Table) -> Page:
            filters: list[ColumnElement[bool]] = []
            words = order_search.matching(orders, text_query or "", conn.dialect.name)
            if words is not None:
                filters.append(words)
            if customer_id is not None:
                filters.append(orders.c.customer_id == customer_id)
            if status is not None:
                filters.append(orders.c.status == status)
            if min_total is not None:
                filters.append(orders.c.total_cents >= min_total)
            if max_total is not None:
                filters.append(orders.c.total_cents <= max_total)
            if created_from is not None:
                filters.append(orders.c.created_at >= created_from)
            if created_to is not None:
                filters.append(orders.c.created_at <= created_to)
            return _newest_first(conn, orders, filters, first, after)

        return await self._read(order_search.PROJECTION, read)

    async def product(self, product_id: str) -> Row | None:
        return await self._read(product_catalog.PROJECTION, partial(_by_key, product_id))

    async def products(self, text_query: str | None, first: int, after: str | None) -> Page:
        def read(conn: Connection, products: Table) -> list[Row]:
            query = (
                select(products).order_by(products.c.name, products.c.product_id).limit(first + 1)
            )
            if text_query:
                pattern = f"%{_escape_like(text_query.casefold())}%"
                query = query.where(products.c.folded.like(pattern, escape="\\"))
            if after is not None:
                name, product_id = decode_cursor(after, "products")
                query = query.where(
                    tuple_(products.c.name, products.c.product_id)
                    > tuple_(literal(name), literal(product_id))
                )
            return [dict(r._mapping) for r in conn.execute(query)]

        rows = await self._read(product_catalog.PROJECTION, read)
        return _page(rows, first, lambda row: ["products", row["name"], row["product_id"]])

    async def customer(self, customer_id: str) -> Row | None:
        return await self._read(customer_summary.PROJECTION, partial(_by_key, customer_id))

    async def sales_report(self, first_day: date, last_day: date) -> list[Row]:
        """One row per day of the range, days without orders included."""

        def read(conn: Connection, days: Table) -> dict[str, Row]:
            query = select(days).where(
                days.c.day >= first_day.isoformat(), days.c.day <= last_day.isoformat()
            )
            return {r.day: dict(r._mapping) for r in conn.execute(query)}

        found = await self._read(sales_report.PROJECTION, read, "sales_daily")
        span = (last_day - first_day).days + 1
        every_day = [(first_day + timedelta(days=n)).isoformat() for n in range(span)]
        empty = {"orders": 0, "items_sold": 0, "revenue_cents": 0}
        return [found.get(day, {"day": day, **empty}) for day in every_day]

    async def top_products(self, limit: int) -> list[Row]:
        def read(conn: Connection, sales: Table) -> list[Row]:
            query = (
                select(sales)
                .order_by(sales.c.revenue_cents.desc(), sales.c.product_id)
                .limit(limit)
            )
            return [dict(r._mapping) for r in conn.execute(query)]

        return await self._read(sales_report.PROJECTION, read, "sales_products")

    async def positions(self) -> dict[str, int]:
        """Where each projection's live generation has got to."""
        query = select(checkpoints.c.name, checkpoints.c.generation, checkpoints.c.position).where(
            checkpoints.c.live.is_(True)
        )

        def read() -> list[Any]:
            with self._engine.connect() as conn:
                return list(conn.execute(query).all())

        rows = await asyncio.to_thread(read)
        self._live.update({name: generation for name, generation, _ in rows})
        return {name: int(position) for name, _, position in rows}

    async def _read(
        self,
        projection: Projection,
        read: Callable[[Connection, Table], T],
        table: str | None = None,
    ) -> T:
        """`read` on the live generation's `table` (by default, the projection's main one)."""
        return await asyncio.to_thread(
            self._read_now, projection, table or projection.tables[0].name, read
        )

    def _read_now(
        self, projection: Projection, table: str, read: Callable[[Connection, Table], T]
    ) -> T:
        try:
            return self._read_live(projection, table, read)
        except DBAPIError:  # a rebuild may have gone live and dropped this generation: once more
            self._live.pop(projection.name, None)
            return self._read_live(projection, table, read)

    def _read_live(
        self, projection: Projection, table: str, read: Callable[[Connection, Table], T]
    ) -> T:
        with self._engine.connect() as conn:
            if projection.name not in self._live:
                self._live[projection.name] = _live_generation(conn, projection.name)
            tables = self._generations.tables(projection, self._live[projection.name])
            return read(conn, tables[table])


def _live_generation(conn: Connection, name: str) -> int:
    query = select(checkpoints.c.generation).where(
        checkpoints.c.name == name, checkpoints.c.live.is_(True)
    )
    return int(conn.execute(query).scalar_one())


def _by_key(key: str, conn: Connection, table: Table) -> Row | None:
    """The row of `table` with primary key `key`: one statement on the driver's cursor (a
    read by id is the commonest, and SQLAlchemy's execution cost more than the lookup)."""
    found = _key_lookup(table).execute(conn, {"key": key})
    return dict(zip(table.columns.keys(), found[0], strict=True)) if found else None


def _newest_first(
    conn: Connection,
    orders: Table,
    filters: Sequence[ColumnElement[bool]],
    first: int,
    after: str | None,
) -> Page:
    query = select(orders).where(and_(True, *filters))
    if after is not None:
        created, order_id = decode_cursor(after, "orders")
        try:
            created_at = datetime.fromisoformat(created)
            if created_at.tzinfo is None:
                raise ValueError("naive")
            created_at = created_at.astimezone(UTC)
        except (ValueError, OverflowError):
            raise BadCursor("not a cursor of this list") from None
        key = tuple_(orders.c.created_at, orders.c.order_id)
        query = query.where(
            key < tuple_(literal(created_at, orders.c.created_at.type), literal(order_id))
        )
    query = query.order_by(orders.c.created_at.desc(), orders.c.order_id.desc()).limit(first + 1)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    return _page(
        rows, first, lambda row: ["orders", row["created_at"].isoformat(), row["order_id"]]
    )


def _page(rows: list[Row], first: int, sort_key: Any) -> Page:
    shown = rows[:first]
    return Page(
        shown, [encode_cursor(sort_key(row)) for row in shown], has_next_page=len(rows) > first
    )


def encode_cursor(key: list[str]) -> str:
    """The list's kind, then the sort key of a row: opaque to clients."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor: str, kind: str) -> list[str]:
    """The sort key a cursor of this kind of list carries (two values)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode())) if len(cursor) < 1000 else None
    except (ValueError, RecursionError):  # not base64, not JSON, or nested past all reason
        key = None
    if (
        not isinstance(key, list)
        or len(key) != 3
        or key[0] != kind
        or not all(isinstance(k, str) for k in key)
    ):
        raise BadCursor("not a cursor of this list")
    return key[1:]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@cache
def _key_lookup(table: Table) -> Prepared:
    """The row of `table` with primary key `key`, on the driver's cursor."""
    key = next(iter(table.primary_key.columns))
    return Prepared(select(table).where(key == bindparam("key")))

"""Read queries: each reads the live generation of one view, with one indexed query.

Lists are pages in keyset order (never OFFSET): a cursor carries the sort key of the last
row a page showed, so a page starts exactly after it however the view changes meanwhile.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    literal,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from projections import (
    customer_orders,
    customer_summary,
    order_details,
    order_search,
    product_catalog,
    sales_report,
)
from projections.checkpoints import checkpoints
from projections.generations import Generations
from projections.projection import Projection, Row


class BadCursor(ValueError):
    """A page cursor that this service did not hand out."""


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    cursors: list[str]
    has_next_page: bool


@dataclass(frozen=True)
class Read:
    """What a query read, and the position its view had reached when it read it."""

    value: Any
    view: str | None
    position: int


class ReadModel:
    def __init__(self, engine: AsyncEngine, generations: Generations) -> None:
        self._engine = engine
        self._generations = generations

    async def order(self, order_id: str) -> Read:
        async with self._engine.connect() as conn:
            orders, position = await self._live(conn, order_details.PROJECTION, "order_details")
            row = await _one(conn, select(orders).where(orders.c.order_id == order_id))
        return Read(row, "ORDER_DETAILS", position)

    async def customer_orders(
        self, customer_id: str, first: int, after: str | None, status: str | None
    ) -> Read:
        async with self._engine.connect() as conn:
            orders, position = await self._live(conn, customer_orders.PROJECTION, "customer_orders")
            filters = [orders.c.customer_id == customer_id]
            if status is not None:
                filters.append(orders.c.status == status)
            page = await _newest_first(conn, orders, filters, first, after)
        return Read(page, "CUSTOMER_ORDERS", position)

    async def search_orders(
        self,
        *,
        text_query: str | None,
        status: str | None,
        min_total: int | None,
        max_total: int | None,
        created_from: datetime | None,
        created_to: datetime | None,
        first: int,
        after: str | None,
    ) -> Read:
        async with self._engine.connect() as conn:
            orders, position = await self._live(conn, order_search.PROJECTION, "order_search")
            filters: list[ColumnElement[bool]] = []
            words = order_search.matching(orders, text_query or "", conn.dialect.name)
            if words is not None:
                filters.append(words)
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
            page = await _newest_first(conn, orders, filters, first, after)
        return Read(page, "ORDER_SEARCH", position)

    async def product(self, product_id: str) -> Read:
        async with self._engine.connect() as conn:
            products, position = await self._live(
                conn, product_catalog.PROJECTION, "product_catalog"
            )
            row = await _one(conn, select(products).where(products.c.product_id == product_id))
        return Read(row, "PRODUCT_CATALOG", position)

    async def products(self, text_query: str | None, first: int, after: str | None) -> Read:
        async with self._engine.connect() as conn:
            products, position = await self._live(
                conn, product_catalog.PROJECTION, "product_catalog"
            )
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
            rows = [dict(r._mapping) for r in await conn.execute(query)]
        page = _page(rows, first, lambda row: ["products", row["name"], row["product_id"]])
        return Read(page, "PRODUCT_CATALOG", position)

    async def customer(self, customer_id: str) -> Read:
        async with self._engine.connect() as conn:
            customers, position = await self._live(
                conn, customer_summary.PROJECTION, "customer_summary"
            )
            row = await _one(conn, select(customers).where(customers.c.customer_id == customer_id))
        return Read(row, "CUSTOMER_SUMMARY", position)

    async def sales_report(self, first_day: date, last_day: date) -> Read:
        """One row per day of the range, days without orders included."""
        async with self._engine.connect() as conn:
            days, position = await self._live(conn, sales_report.PROJECTION, "sales_daily")
            query = select(days).where(
                days.c.day >= first_day.isoformat(), days.c.day <= last_day.isoformat()
            )
            found = {r.day: dict(r._mapping) for r in await conn.execute(query)}
        span = (last_day - first_day).days + 1
        every_day = [(first_day + timedelta(days=n)).isoformat() for n in range(span)]
        empty = {"orders": 0, "items_sold": 0, "revenue_cents": 0}
        return Read(
            [found.get(day, {"day": day, **empty}) for day in every_day], "SALES_REPORT", position
        )

    async def top_products(self, limit: int) -> Read:
        async with self._engine.connect() as conn:
            sales, position = await self._live(conn, sales_report.PROJECTION, "sales_products")
            query = (
                select(sales)
                .order_by(sales.c.revenue_cents.desc(), sales.c.product_id)
                .limit(limit)
            )
            rows = [dict(r._mapping) for r in await conn.execute(query)]
        return Read(rows, "SALES_REPORT", position)

    async def positions(self) -> dict[str, int]:
        """Where each projection's live generation has got to."""
        query = select(checkpoints.c.name, checkpoints.c.position).where(
            checkpoints.c.live.is_(True)
        )
        async with self._engine.connect() as conn:
            return {name: int(position) for name, position in await conn.execute(query)}

    async def _live(
        self, conn: AsyncConnection, projection: Projection, table: str
    ) -> tuple[Table, int]:
        """The live generation's table, and the position that generation has reached."""
        query = select(checkpoints.c.generation, checkpoints.c.position).where(
            checkpoints.c.name == projection.name, checkpoints.c.live.is_(True)
        )
        live = (await conn.execute(query)).one()
        return self._generations.tables(projection, live.generation)[table], int(live.position)


async def _one(conn: AsyncConnection, query: Select[Any]) -> Row | None:
    row = (await conn.execute(query)).first()
    return dict(row._mapping) if row else None


async def _newest_first(
    conn: AsyncConnection,
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
        except ValueError:
            created_at = None
        if created_at is None or created_at.tzinfo is None:
            raise BadCursor("not a cursor of this list")
        key = tuple_(orders.c.created_at, orders.c.order_id)
        query = query.where(
            key < tuple_(literal(created_at, orders.c.created_at.type), literal(order_id))
        )
    query = query.order_by(orders.c.created_at.desc(), orders.c.order_id.desc()).limit(first + 1)
    rows = [dict(r._mapping) for r in await conn.execute(query)]
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
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
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

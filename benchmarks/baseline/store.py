"""The baseline's storage: normalized SQLite tables through aiosqlite, no ORM.

SQLite has one writer, so every write goes through one connection under an asyncio.Lock,
one transaction per command; reads share a small pool of read-only connections (WAL lets
them run while a write commits).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

READERS = 4
PAGE_ORDER = "ORDER BY o.created_at DESC, o.id DESC"

SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    price_cents INTEGER NOT NULL,
    stock_on_hand INTEGER NOT NULL,
    reserved INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    status TEXT NOT NULL,
    shipping_address TEXT NOT NULL,
    cancel_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_customer
    ON orders (customer_id, created_at DESC, id DESC);
-- The name and price paid are stored with the line, as any shop keeps them.
-- Clustered by order: an order's items are one range of the primary key.
CREATE TABLE IF NOT EXISTS order_items (
    order_id TEXT NOT NULL REFERENCES orders (id),
    line INTEGER NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    product_name TEXT NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (order_id, line)
) WITHOUT ROWID;
"""

ORDER_COLUMNS = """
    SELECT o.id, o.customer_id, c.name, c.email, o.status, o.shipping_address,
           o.cancel_reason, o.created_at, o.updated_at, o.version
    FROM orders AS o JOIN customers AS c ON c.id = o.customer_id
"""


class Refused(Exception):
    """A command the app turns down; becomes one CommandError."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Item:
    product_id: str
    product_name: str
    unit_price_cents: int
    quantity: int


@dataclass(frozen=True)
class OrderRow:
    id: str
    customer_id: str
    customer_name: str
    customer_email: str
    status: str
    shipping_address: str
    cancel_reason: str | None
    created_at: str
    updated_at: str
    version: int
    items: list[Item]


@dataclass(frozen=True)
class Written:
    """What a successful command wrote: the aggregate's id and version, a global counter."""

    aggregate_id: str
    version: int
    position: int


def now() -> str:
    """UTC now, fixed-width ISO 8601, so text order is time order."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def marks(count: int) -> str:
    """`count` SQL placeholders."""
    return ", ".join("?" * count)


class Database:
    def __init__(self, path: str, readers: int = READERS) -> None:
        self._path = path
        self._reader_count = readers
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._position = 0

    async def open(self) -> None:
        """Connect the writer (creating the tables) and the readers."""
        writer = await aiosqlite.connect(self._path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            await writer.execute(f"PRAGMA {pragma}")
        await writer.executescript(SCHEMA)
        self._writer = writer
        for _ in range(self._reader_count):
            reader = await aiosqlite.connect(self._path, isolation_level=None)
            await reader.execute("PRAGMA query_only=ON")
            self._readers.put_nowait(reader)

    async def close(self) -> None:
        """Close every connection."""
        while not self._readers.empty():
            await self._readers.get_nowait().close()
        if self._writer is not None:
            await self._writer.close()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read-only connection from the pool, for the block."""
        connection = await self._readers.get()
        try:
            yield connection
        finally:
            self._readers.put_nowait(connection)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[tuple[aiosqlite.Connection, int]]:
        """The writer in one transaction, committed after the block, rolled back on error;
        and the transaction's number (a counter standing in for a log position)."""
        assert self._writer is not None, "the database is not open"
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            self._position += 1
            try:
                yield self._writer, self._position
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    async def write(self, aggregate_id: str, sql: str, parameters: Sequence[Any]) -> Written:
        """One INSERT as a command; a taken key (id, e-mail, SKU) is a CONFLICT."""
        try:
            async with self.writing() as (conn, position):
                await conn.execute_fetchall(sql, parameters)
        except sqlite3.IntegrityError as error:
            raise Refused("CONFLICT", f"already taken: {error}") from None
        return Written(aggregate_id, 1, position)

    async def register_customer(self, customer_id: str, name: str, email: str) -> Written:
        """A new customer."""
        sql = "INSERT INTO customers (id, name, email) VALUES (?, ?, ?)"
        return await self.write(customer_id, sql, (customer_id, name, email))

    async def add_product(
        self,
        product_id: str,
        sku: str,
        name: str,
        description: str | None,
        price_cents: int,
        stock: int,
    ) -> Written:
        """A new product with `stock` on hand."""
        sql = """INSERT INTO products (id, sku, name, description, price_cents, stock_on_hand)
                 VALUES (?, ?, ?, ?, ?, ?)"""
        return await self.write(
            product_id, sql, (product_id, sku, name, description, price_cents, stock)
        )

    async def create_order(
        self, order_id: str, customer_id: str, lines: Sequence[tuple[str, int]], address: str
    ) -> Written:
        """An order, its stock reserved line by line, all in one transaction or not at all."""
        try:
            async with self.writing() as (conn, position):
                await _check_customer(conn, customer_id)
                catalog = await _products(conn, [product_id for product_id, _ in lines])
                items = []
                for line, (product_id, quantity) in enumerate(lines):
                    if product_id not in catalog:
                        raise Refused("NOT_FOUND", "no such product", f"items.{line}.productId")
                    await _reserve(conn, line, product_id, quantity)
                    name, price = catalog[product_id]
                    items.append((order_id, line, product_id, name, price, quantity))
                created = now()
                await conn.execute_fetchall(
                    "INSERT INTO orders VALUES (?, ?, 'PENDING', ?, NULL, ?, ?, 1)",
                    (order_id, customer_id, address, created, created),
                )
                await conn.execute_fetchall(
                    "INSERT INTO order_items VALUES " + ", ".join(f"({marks(6)})" for _ in items),
                    [value for item in items for value in item],
                )
        except sqlite3.IntegrityError as error:
            raise Refused("CONFLICT", f"already taken: {error}", "orderId") from None
        return Written(order_id, 1, position)

    async def order(self, order_id: str) -> OrderRow | None:
        """One order with its customer and items: two queries."""
        async with self.reading() as conn:
            rows = await conn.execute_fetchall(f"{ORDER_COLUMNS} WHERE o.id = ?", (order_id,))
            orders = await _with_items(conn, list(rows))
        return orders[0] if orders else None

    async def customer_orders(
        self, customer_id: str, first: int, after: tuple[str, str] | None
    ) -> tuple[list[OrderRow], bool]:
        """A page of a customer's orders, newest first, after the key (createdAt, id) given;
        and whether more follow. Two queries, however long the page."""
        where, parameters = "o.customer_id = ?", [customer_id]
        if after is not None:
            where += " AND (o.created_at, o.id) < (?, ?)"
            parameters.extend(after)
        sql = f"{ORDER_COLUMNS} WHERE {where} {PAGE_ORDER} LIMIT ?"
        async with self.reading() as conn:
            rows = list(await conn.execute_fetchall(sql, [*parameters, first + 1]))
            orders = await _with_items(conn, rows[:first])
        return orders, len(rows) > first


async def _check_customer(conn: aiosqlite.Connection, customer_id: str) -> None:
    """Refuses an order for a customer that does not exist."""
    found = await conn.execute_fetchall("SELECT 1 FROM customers WHERE id = ?", (customer_id,))
    if not found:
        raise Refused("NOT_FOUND", "no such customer", "customerId")


async def _products(conn: aiosqlite.Connection, ids: list[str]) -> dict[str, tuple[str, int]]:
    """Name and price of each of these products that exists."""
    sql = f"SELECT id, name, price_cents FROM products WHERE id IN ({marks(len(ids))})"
    return {row[0]: (row[1], row[2]) for row in await conn.execute_fetchall(sql, ids)}


async def _reserve(conn: aiosqlite.Connection, line: int, product_id: str, quantity: int) -> None:
    """Holds `quantity` of a product, or refuses the order when fewer are available."""
    reserved = await conn.execute_fetchall(
        """UPDATE products SET reserved = reserved + ?
           WHERE id = ? AND stock_on_hand - reserved >= ? RETURNING id""",
        (quantity, product_id, quantity),
    )
    if not reserved:
        raise Refused("RULE_VIOLATED", "not enough stock", f"items.{line}.quantity")


async def _with_items(conn: aiosqlite.Connection, rows: Sequence[Any]) -> list[OrderRow]:
    """The orders of these rows with their items, fetched in one query for all of them."""
    if not rows:
        return []
    ids = [row[0] for row in rows]
    items: dict[str, list[Item]] = {order_id: [] for order_id in ids}
    sql = f"""SELECT order_id, product_id, product_name, unit_price_cents, quantity
              FROM order_items WHERE order_id IN ({marks(len(ids))}) ORDER BY order_id, line"""
    for order_id, *item in await conn.execute_fetchall(sql, ids):
        items[order_id].append(Item(*item))
    return [_order(row, items[row[0]]) for row in rows]


def _order(row: Any, items: list[Item]) -> OrderRow:
    """An order from a row of ORDER_COLUMNS, with its items."""
    return OrderRow(
        id=row[0],
        customer_id=row[1],
        customer_name=row[2],
        customer_email=row[3],
        status=row[4],
        shipping_address=row[5],
        cancel_reason=row[6],
        created_at=row[7],
        updated_at=row[8],
        version=row[9],
        items=items,
    )

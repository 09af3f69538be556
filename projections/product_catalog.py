"""PRODUCT_CATALOG: products with price, stock on hand, reserved and available."""

from collections.abc import Mapping

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from domain.events import (
    Event,
    ProductAdded,
    ProductPriceChanged,
    ProductRestocked,
    StockReleased,
    StockReserved,
    StockShipped,
)
from domain.log import RecordedEvent
from projections.projection import Change, Projection, Put, RowKey, Rows, table_of
from projections.set_based import IN_RANGE, SetBased

PRODUCTS = "product_catalog"


class CatalogProduct(SQLModel, table=True):
    __tablename__ = "product_catalog"
    __table_args__ = (Index("ix_product_catalog_name", "name", "product_id"),)
    product_id: str = Field(primary_key=True)
    sku: str
    name: str
    description: str | None = None
    price_cents: int
    stock_on_hand: int
    reserved: int
    available: int
    version: int
    folded: str  # name and SKU case-folded: SQLite's LIKE folds ASCII letters only


# How each stock event moves (on hand, reserved).
_STOCK_MOVES = {
    ProductRestocked: (1, 0),
    StockReserved: (0, 1),
    StockReleased: (0, -1),
    StockShipped: (-1, -1),
}


def needs(event: Event, _meta: RecordedEvent) -> list[RowKey]:
    return (
        [] if isinstance(event, ProductAdded) else [(PRODUCTS, getattr(event, "product_id", None))]
    )


def project(event: Event, meta: RecordedEvent, rows: Rows) -> list[Change]:
    if isinstance(event, ProductAdded):
        stock = event.initial_stock
        return [
            Put(
                PRODUCTS,
                {
                    "product_id": event.product_id,
                    "sku": event.sku,
                    "name": event.name,
                    "description": event.description,
                    "price_cents": event.price_cents,
                    "stock_on_hand": stock,
                    "reserved": 0,
                    "available": stock,
                    "version": meta.version,
                    "folded": f"{event.name} {event.sku}".casefold(),
                },
            )
        ]
    if not isinstance(
        event, ProductRestocked | ProductPriceChanged | StockReserved | StockReleased | StockShipped
    ):
        return []
    if (row := rows.get(PRODUCTS, event.product_id)) is None:
        return []
    if isinstance(event, ProductPriceChanged):
        row["price_cents"] = event.price_cents
    else:
        on_hand, reserved = _STOCK_MOVES[type(event)]
        row["stock_on_hand"] += on_hand * event.quantity
        row["reserved"] += reserved * event.quantity
        row["available"] = row["stock_on_hand"] - row["reserved"]
    return [Put(PRODUCTS, row | {"version": meta.version})]


def set_based(tables: Mapping[str, str], events: str) -> list[str]:
    """Each product added in the range, as added; then each product moved in the range with
    the sums of its stock moves there, its last price there and the version of its last event
    (projections/set_based.py)."""
    products = tables[PRODUCTS]
    return [
        f"""
        INSERT INTO {products} (product_id, sku, name, description, price_cents,
            stock_on_hand, reserved, available, version, folded)
        SELECT data ->> '$.product_id', data ->> '$.sku', data ->> '$.name',
               data ->> '$.description', data ->> '$.price_cents', data ->> '$.initial_stock',
               0, data ->> '$.initial_stock', version,
               casefold((data ->> '$.name') || ' ' || (data ->> '$.sku'))
        FROM {events} WHERE type = 'ProductAdded' AND {IN_RANGE}
        """,
        f"""
        WITH moved AS MATERIALIZED (
            SELECT data ->> '$.product_id' AS product_id, type, position, version,
                   data ->> '$.quantity' AS quantity, data ->> '$.price_cents' AS price
            FROM {events}
            WHERE type IN ('ProductRestocked', 'ProductPriceChanged', 'StockReserved',
                           'StockReleased', 'StockShipped') AND {IN_RANGE}
        ), totals AS (
            SELECT product_id, max(position), version,  -- the version of the last event
                   sum(CASE type WHEN 'ProductRestocked' THEN quantity
                                 WHEN 'StockShipped' THEN -quantity ELSE 0 END) AS on_hand_by,
                   sum(CASE type WHEN 'StockReserved' THEN quantity
                                 WHEN 'StockReleased' THEN -quantity
                                 WHEN 'StockShipped' THEN -quantity ELSE 0 END) AS reserved_by
            FROM moved GROUP BY product_id
        ), prices AS (
            SELECT product_id, max(position), price  -- the last price
            FROM moved WHERE type = 'ProductPriceChanged' GROUP BY product_id
        )
        UPDATE {products}
        SET stock_on_hand = stock_on_hand + t.on_hand_by, reserved = reserved + t.reserved_by,
            available = stock_on_hand + t.on_hand_by - reserved - t.reserved_by,
            price_cents = coalesce(p.price, price_cents), version = t.version
        FROM totals t LEFT JOIN prices p USING (product_id)
        WHERE t.product_id = {products}.product_id
        """,
    ]


PROJECTION = Projection(
    name="product_catalog",
    version=1,
    view="PRODUCT_CATALOG",
    tables=(table_of(CatalogProduct),),
    handles=frozenset(
        {
            ProductAdded,
            ProductRestocked,
            ProductPriceChanged,
            StockReserved,
            StockReleased,
            StockShipped,
        }
    ),
    project=project,
    needs=needs,
    set_based=SetBased(set_based, {"casefold": str.casefold}),
)

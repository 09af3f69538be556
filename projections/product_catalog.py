"""PRODUCT_CATALOG: products with price, stock on hand, reserved and available."""

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
)

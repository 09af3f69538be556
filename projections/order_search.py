"""ORDER_SEARCH: orders found by words (customer name and e-mail, product names, address).

The words are folded here and indexed by each database's own full-text search
(projections/full_text.py), kept in step with the rows by the database, so an upsert of a
row is all the projector does.
"""

import re
import unicodedata
from collections.abc import Mapping
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Index, Table
from sqlmodel import Field

from domain.events import Event
from domain.log import RecordedEvent
from projections import full_text
from projections.orders import (
    ORDER_EVENTS,
    CustomerColumns,
    OrderColumns,
    order_needs,
    order_rows_set_based,
    project_order,
)
from projections.projection import Change, Projection, Put, RowKey, Rows, table_of
from projections.set_based import SetBased

ORDERS, CUSTOMERS = "order_search", "order_search_customers"


class OrderSearchRow(OrderColumns, table=True):
    __tablename__ = "order_search"
    __table_args__ = (
        Index("ix_order_search_newest", "created_at", "order_id"),
        Index("ix_order_search_status", "status", "created_at", "order_id"),
    )
    words: str = Field(default="")


class OrderSearchCustomer(CustomerColumns, table=True):
    __tablename__ = "order_search_customers"


def words_of(row: dict[str, Any]) -> str:
    names = " ".join(item["product_name"] for item in row["items"])
    return fold(f"{row['customer_name']} {row['customer_email']} {names} {row['shipping_address']}")


def fold(text: str) -> str:
    """Without accents and case, so that "Crème" finds "CREME" on every database."""
    if text.isascii():  # nothing to take off: most text, and a rebuild folds every order
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def project(event: Event, meta: RecordedEvent, rows: Rows) -> list[Change]:
    """An order's words are found when it is created: a change of status keeps them."""
    return [
        Put(c.table, c.row | {"words": words_of(c.row)})
        if isinstance(c, Put) and c.table == ORDERS and "words" not in c.row
        else c
        for c in project_order(ORDERS, CUSTOMERS, event, meta, rows)
    ]


def needs(event: Event, meta: RecordedEvent) -> list[RowKey]:
    return order_needs(ORDERS, CUSTOMERS, event, meta)


def fts_ddl(tables: Mapping[str, Table], dialect: str) -> list[str]:
    return full_text.index_ddl(tables[ORDERS].name, dialect)


def fts_drop_ddl(tables: Mapping[str, Table], dialect: str) -> list[str]:
    return full_text.drop_index_ddl(tables[ORDERS].name, dialect)


def matching(orders: Table, text: str, dialect: str) -> ColumnElement[bool] | None:
    """Rows whose words include every word of `text`, each as a prefix; None for no words."""
    words = re.findall(r"\w+", fold(text))
    return full_text.matching(orders.name, words, dialect) if words else None


# `words_of`, over the columns of a new row (projections/orders.py)
_WORDS = "fold({name} || ' ' || {email} || ' ' || {names} || ' ' || {address})"


PROJECTION = Projection(
    name="order_search",
    version=1,
    view="ORDER_SEARCH",
    tables=(table_of(OrderSearchRow), table_of(OrderSearchCustomer)),
    handles=ORDER_EVENTS,
    project=project,
    needs=needs,
    ddl=fts_ddl,
    drop_ddl=fts_drop_ddl,
    set_based=SetBased(
        partial(order_rows_set_based, ORDERS, CUSTOMERS, words=_WORDS), {"fold": fold}
    ),
)

"""ORDER_SEARCH: orders found by words (customer name and e-mail, product names, address).

On SQLite the words live in an FTS5 index kept in step with the rows by triggers, so an
upsert of a row is all the projector does.
"""

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Index, Select, Table, func, literal_column, select
from sqlalchemy import text as sql_text
from sqlmodel import Field

from domain.events import Event
from domain.log import RecordedEvent
from projections.orders import (
    ORDER_EVENTS,
    CustomerColumns,
    OrderColumns,
    order_needs,
    project_order,
)
from projections.projection import Change, Projection, Put, RowKey, Rows, table_of

ORDERS, CUSTOMERS = "order_search", "order_search_customers"
# PostgreSQL's parser keeps an e-mail address whole; split words as SQLite's FTS5 does, on
# anything that is not a letter or a digit. The index and the query use this expression.
PG_WORDS = "to_tsvector('simple', regexp_replace(words, '[^[:alnum:]]+', ' ', 'g'))"


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
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def project(event: Event, meta: RecordedEvent, rows: Rows) -> list[Change]:
    return [
        Put(c.table, c.row | {"words": words_of(c.row)})
        if isinstance(c, Put) and c.table == ORDERS
        else c
        for c in project_order(ORDERS, CUSTOMERS, event, meta, rows)
    ]


def needs(event: Event, meta: RecordedEvent) -> list[RowKey]:
    return order_needs(ORDERS, CUSTOMERS, event, meta)


def fts_ddl(tables: Mapping[str, Table], dialect: str) -> list[str]:
    """The full-text index over `words`.

    SQLite: an external-content FTS5 table, and the triggers that keep it current.
    PostgreSQL: a GIN index over the words' tsvector.
    """
    rows = tables[ORDERS].name
    if dialect == "postgresql":
        return [f"CREATE INDEX IF NOT EXISTS {rows}_words ON {rows} USING gin ({PG_WORDS})"]
    fts = f"{rows}_fts"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(words, content='{rows}', "
        "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {rows}_ai AFTER INSERT ON {rows} BEGIN "
        f"INSERT INTO {fts}(rowid, words) VALUES (new.rowid, new.words); END",
        f"CREATE TRIGGER IF NOT EXISTS {rows}_ad AFTER DELETE ON {rows} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, words) VALUES ('delete', old.rowid, old.words); END",
        f"CREATE TRIGGER IF NOT EXISTS {rows}_au AFTER UPDATE ON {rows} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, words) VALUES ('delete', old.rowid, old.words); "
        f"INSERT INTO {fts}(rowid, words) VALUES (new.rowid, new.words); END",
    ]


def matching(orders: Table, text: str, dialect: str) -> ColumnElement[bool] | None:
    """Rows whose words include every word of `text`, each as a prefix; None for no words."""
    words = re.findall(r"\w+", fold(text))
    if not words:
        return None
    if dialect == "postgresql":
        terms = " & ".join(f"{word}:*" for word in words)
        return literal_column(PG_WORDS).bool_op("@@")(func.to_tsquery("simple", terms))
    index = f"{orders.name}_fts"
    match = " ".join(f'"{word}"*' for word in words)
    hits: Select[Any] = (
        select(literal_column("rowid"))
        .select_from(sql_text(index))
        .where(sql_text(f"{index} MATCH :match").bindparams(match=match))
    )
    return literal_column(f"{orders.name}.rowid").in_(hits)


PROJECTION = Projection(
    name="order_search",
    version=1,
    view="ORDER_SEARCH",
    tables=(table_of(OrderSearchRow), table_of(OrderSearchCustomer)),
    handles=ORDER_EVENTS,
    project=project,
    needs=needs,
    ddl=fts_ddl,
)

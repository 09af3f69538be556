"""Full-text search over a `words` column, as each database does it: the one module of the
views that names a dialect (the log's statements are in domain/dialect.py).

SQLite: an external-content FTS5 table, kept current by triggers. PostgreSQL: a GIN index
over the words' tsvector.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy import text as sql_text

# PostgreSQL's parser keeps an e-mail address whole; split words as SQLite's FTS5 does, on
# anything that is not a letter or a digit. The index and the query use this expression.
PG_WORDS = "to_tsvector('simple', regexp_replace(words, '[^[:alnum:]]+', ' ', 'g'))"


def index_ddl(rows: str, dialect: str) -> list[str]:
    """The statements that index the `words` of table `rows`."""
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
        # a change of status leaves the words as they were: nothing to index again
        f"CREATE TRIGGER IF NOT EXISTS {rows}_au AFTER UPDATE OF words ON {rows} "
        "WHEN old.words IS NOT new.words BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, words) VALUES ('delete', old.rowid, old.words); "
        f"INSERT INTO {fts}(rowid, words) VALUES (new.rowid, new.words); END",
    ]


def drop_index_ddl(rows: str, dialect: str) -> list[str]:
    """What dropping table `rows` leaves of its index: SQLite's FTS5 table (the triggers go
    with `rows`; PostgreSQL's index too)."""
    return [] if dialect == "postgresql" else [f"DROP TABLE IF EXISTS {rows}_fts"]


def matching(rows: str, words: list[str], dialect: str) -> ColumnElement[bool]:
    """Rows of table `rows` whose words include each of `words` as a prefix of one."""
    if dialect == "postgresql":
        terms = " & ".join(f"{word}:*" for word in words)
        return literal_column(PG_WORDS).bool_op("@@")(func.to_tsquery("simple", terms))
    index = f"{rows}_fts"
    match = " ".join(f'"{word}"*' for word in words)
    hits: Select[Any] = (
        select(literal_column("rowid"))
        .select_from(sql_text(index))
        .where(sql_text(f"{index} MATCH :match").bindparams(match=match))
    )
    return literal_column(f"{rows}.rowid").in_(hits)

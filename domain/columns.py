"""Column types the log's tables and its readers' tables share, so they cannot drift apart.

A log position is a 64-bit integer on PostgreSQL; on SQLite, INTEGER (64 bits there too),
the spelling SQLite needs for a primary key to be its row id.
"""

from sqlalchemy import BigInteger, Integer

Position = BigInteger().with_variant(Integer(), "sqlite")

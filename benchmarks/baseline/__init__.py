"""The baseline for the HTTP benchmark: the plain CRUD app a competent user would write.

One process: strawberry-graphql on starlette, aiosqlite straight into normalized tables
(customers, products, orders, order_items), no ORM, no events, no projections. It serves
the fields of our contract that the benchmark uses, under the same names and types, so the
same query text runs against both servers.

    python -m benchmarks.baseline --port 8100 --database /tmp/baseline.db
"""

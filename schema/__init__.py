"""The GraphQL edge: types, inputs, mutations, queries and the ASGI app."""

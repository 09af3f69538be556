"""Dramatiq: the broker, the actors that run projections, and the sweep."""

"""The write side: commands, events, aggregates, handlers and the event store."""

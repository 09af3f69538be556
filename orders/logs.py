"""Logging for the processes: JSON lines for machines, readable lines for people.

One JSON object per line when stdout is not a terminal (a container, a file), a readable
line when it is; `LOG_LEVEL` sets the level. Every line carries the correlation id and the
command id being worked on, where there is one (schema/observed.py), so an operator can
follow one request with grep: with LOG_LEVEL=DEBUG, the command's line in the API and the
projection batches that applied its events, in whichever process ran them.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from schema.observed import command_id, correlation_id

IDS = ("correlation_id", "command_id")


class _Ids(logging.Filter):
    """Puts the current correlation and command ids on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = getattr(record, "correlation_id", None) or correlation_id.get()
        record.command_id = getattr(record, "command_id", None) or command_id.get()
        return True


class _Readable(logging.Formatter):
    """`time LEVEL logger: message correlation_id=... command_id=...`, for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [f"{name}={getattr(record, name, None)}" for name in IDS]
        return super().format(record) + "".join(
            f" {pair}" for pair in ids if not pair.endswith("=None")
        )


def configure(level: str, *, as_json: bool | None = None) -> None:
    """Send every logger's lines (uvicorn's and dramatiq's too) to stdout, one per line."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_Ids())
    if as_json if as_json is not None else not sys.stdout.isatty():
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s %(command_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(_Readable())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())

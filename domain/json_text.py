"""JSON through orjson, with the standard library for the little orjson refuses.

orjson encodes and decodes several times faster than the json module, and JSON is on every
hot path: an event's data, a view row's items, an answer's body. It refuses what the json
module accepts: lone surrogates (which the edge refuses now, but an older log may hold) and
integers beyond 64 bits. Those take the slow way, with the json module's result.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def encoded(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":")).encode()


def text(value: Any) -> str:
    return encoded(value).decode()


def decoded(data: str | bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)

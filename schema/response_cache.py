"""Answers to repeated queries, kept while every view row they read is unchanged.

A query's answer depends only on the view rows it read, so the same request (the same body,
from the same caller) can be answered with the same bytes until a notice says one of those
rows changed. Resolvers record what they read (`ReadLog`); notices invalidate by projection
and row key (workers.notices). An answer read while its view was invalidated is not kept,
so nothing older than a notice already delivered is ever served. `extensions.viewPositions`
is written afresh on each hit: the rows are unchanged up to the position known now.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from domain import json_text

Dependency = tuple[str, str | None]  # (projection, row key); None: any row of it


@dataclass
class ReadLog:
    """What one request read: each view's position, the rows it depends on, and whether its
    answer may be kept at all (mutations, the log and operator data are never kept)."""

    positions: dict[str, int] = field(default_factory=dict)  # contract View -> position read at
    projections: dict[str, str] = field(default_factory=dict)  # contract View -> projection
    dependencies: set[Dependency] = field(default_factory=set)
    cacheable: bool = True

    def note(self, view: str, projection: str, position: int, row: str | None = None) -> None:
        """`view`, served by `projection`, was read at `position`: row `row`, or any rows."""
        self.positions[view] = position
        self.projections[view] = projection
        self.dependencies.add((projection, row))


@dataclass(frozen=True)
class Answer:
    """A kept answer: the `data` part as JSON, and the views whose positions go with it."""

    data: bytes
    views: dict[str, str]  # contract View -> projection name
    dependencies: frozenset[Dependency]

    @property
    def size(self) -> int:
        return len(self.data) + 200


class ResponseCache:
    """Kept answers by request, least recently used dropped past `max_bytes`."""

    def __init__(
        self, known_positions: Callable[[], dict[str, int]], max_bytes: int = 64 * 1024 * 1024
    ) -> None:
        self._known_positions = known_positions
        self._max_bytes = max_bytes
        self._bytes = 0
        self._answers: OrderedDict[bytes, Answer] = OrderedDict()
        self._by_dependency: dict[Any, set[bytes]] = defaultdict(set)
        self._by_projection: dict[Any, set[bytes]] = defaultdict(set)
        self._invalidations: dict[str, int] = defaultdict(int)  # per projection, ever

    def get(self, key: bytes) -> Answer | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def render(self, answer: Answer) -> bytes:
        """The whole response body, with each view's position as known now."""
        known = self._known_positions()
        views = {view: str(known.get(name, 0)) for view, name in answer.views.items()}
        extensions = json_text.encoded({"viewPositions": views})
        return b'{"data":' + answer.data + b',"extensions":' + extensions + b"}"

    def epoch(self) -> dict[str, int]:
        """Where invalidations stand: taken before a read, checked before keeping its answer."""
        return dict(self._invalidations)

    def keep(self, key: bytes, body: bytes, reads: ReadLog, epoch: dict[str, int]) -> None:
        """Keep a fresh answer, unless its views changed while it was being read."""
        projections = {name for name, _ in reads.dependencies}
        if not reads.cacheable or any(
            self._invalidations[name] != epoch.get(name, 0) for name in projections
        ):
            return
        data = _data_of(body)
        if data is None:
            return
        self._drop(key)
        answer = Answer(data, dict(reads.projections), frozenset(reads.dependencies))
        self._answers[key] = answer
        self._bytes += answer.size
        for dependency in answer.dependencies:
            self._by_dependency[dependency].add(key)
            self._by_projection[dependency[0]].add(key)
        while self._bytes > self._max_bytes:
            self._drop(next(iter(self._answers)))

    def invalidate(self, projection: str, keys: Iterable[str] | None) -> None:
        """Rows `keys` of `projection` changed (None: any of them may have)."""
        self._invalidations[projection] += 1
        if keys is None:
            stale = set(self._by_projection.get(projection, ()))
        else:
            stale = set(self._by_dependency.get((projection, None), ()))
            for row in keys:
                stale |= self._by_dependency.get((projection, row), set())
        for key in stale:
            self._drop(key)

    def _drop(self, key: bytes) -> None:
        answer = self._answers.pop(key, None)
        if answer is None:
            return
        self._bytes -= answer.size
        for dependency in answer.dependencies:
            _discard(self._by_dependency, dependency, key)
            _discard(self._by_projection, dependency[0], key)


def _data_of(body: bytes) -> bytes | None:
    """The `data` of a response without errors, as compact JSON."""
    response = json_text.decoded(body)
    if not isinstance(response, dict) or response.get("errors") or "data" not in response:
        return None
    return json_text.encoded(response["data"])


def _discard(index: dict[Any, set[bytes]], at: object, key: bytes) -> None:
    keys = index.get(at)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[at]

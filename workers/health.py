"""Health for load balancers and orchestrators: is the process up, and can it work?

`/healthz` answers 200 while the process runs, with no I/O. `/readyz` asks each part the
process depends on (the event store, the views' database, Redis where it is used) with a
short timeout, and answers 503 naming each part that failed. The API serves both; `orders
worker --health-port` serves the same two from a thread of its own. The composition root
(orders/bootstrap.py) says which parts there are.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Timeout
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import Engine, Table, select

READY_TIMEOUT_S = 2.0
Check = Callable[[], object]


@dataclass
class Readiness:
    """The parts to ask, each a blocking call that raises when its part cannot serve."""

    checks: Mapping[str, Check]
    timeout: float = READY_TIMEOUT_S
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, "readyz"))

    def failures(self) -> dict[str, str]:
        """Each part that did not answer in time, with what went wrong; empty when ready."""
        asked = {name: self._pool.submit(check) for name, check in self.checks.items()}
        failing = {}
        for name, answer in asked.items():
            try:
                answer.result(timeout=self.timeout)
            except Timeout:
                failing[name] = f"no answer within {self.timeout:g} s"
            except Exception as error:  # whatever the part raised is why it is not ready
                failing[name] = f"{type(error).__name__}: {error}".splitlines()[0]
        return failing


def readiness_body(failing: Mapping[str, str]) -> tuple[int, bytes]:
    """The status and JSON body of a /readyz answer."""
    body = {"status": "not ready", "failing": dict(failing)} if failing else {"status": "ready"}
    return (503 if failing else 200), json.dumps(body).encode()


def serve_health(readiness: Readiness, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """/healthz and /readyz on `port`, from a daemon thread (for `orders worker`)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/healthz":
                status, body = 200, b'{"status": "ok"}'
            elif self.path == "/readyz":
                status, body = readiness_body(readiness.failures())
            else:
                status, body = 404, b'{"status": "not found"}'
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:  # probes every few seconds: no lines
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server


def table_answers(engine: Engine, table: Table) -> Check:
    """A check that `table` can be read through `engine` (the database is up, the schema made)."""

    def check() -> None:
        with engine.connect() as conn:
            conn.execute(select(table).limit(1)).first()

    return check

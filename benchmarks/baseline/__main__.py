"""python -m benchmarks.baseline --port 8100 --database baseline.db"""

from __future__ import annotations

import argparse

import uvicorn

from benchmarks.baseline.api import create_app


def main() -> None:
    """Serves the baseline app in one process, without access logs."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baseline")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--database", default="baseline.db", help="SQLite file, made if missing")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.database),
        host=args.host,
        port=args.port,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()

"""`make bench`: the whole benchmark suite, one table, saved as benchmarks/results/latest.json.

python -m benchmarks [--only inprocess,rebuild] [--runs 3] [--rebuild-sample 0] ...

Parts run in order: http (the wrk comparison, when benchmarks/http.py is there), inprocess
(commands and appends through the composition root's services), cache (order(id) from the
Redis cache and from the view, on PostgreSQL + Redis), rebuild (each projection
from position 0 over a cached log), lag (ack to viewsCaughtUp through the real server).
Every figure is the median of --runs runs (in the lag part, of --runs consecutive windows
of one steady load).
"""

from __future__ import annotations

import argparse
import importlib
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from benchmarks import report

PARTS = ("http", "inprocess", "cache", "rebuild", "lag")
RESULTS = Path(__file__).parent / "results" / "latest.json"
CACHE = Path.home() / ".cache" / "cqrs-orders-bench"


def parts(text: str) -> list[str]:
    """The comma-separated part names of --only, checked."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(PARTS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown part(s) {', '.join(unknown)}; parts: {PARTS}")
    return names


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The suite's options; the defaults finish in under ten minutes on two cores."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--only", type=parts, default=list(PARTS), metavar="PART[,PART]", help=f"of {PARTS}")
    add("--runs", type=int, default=3, help="runs per figure; the median is reported")
    add("--orders", type=int, default=20_000, help="orders in the http part's data set")
    add("--duration", type=float, default=8, help="seconds per wrk measurement (http)")
    add("--rebuild-events", type=int, default=1_000_000, help="events in the cached log")
    add(
        "--rebuild-sample",
        type=int,
        default=100_000,
        help="project only the first N events of the log (0: all of it)",
    )
    add("--library-events", type=int, default=200_000, help="eventsourcing replay: at most N")
    add(
        "--lag-seconds",
        type=float,
        default=30,
        help="seconds of steady load on each deployment; figures: medians of --runs windows",
    )
    add("--lag-rate", type=float, default=200, help="createOrder commands per second (lag)")
    add("--cache", type=Path, default=CACHE, help="where generated logs are kept between runs")
    add("--output", type=Path, default=RESULTS, help="where the JSON results are written")
    return parser.parse_args(argv)


def run_part(name: str, options: argparse.Namespace) -> list[report.Row]:
    """Import benchmarks.<name> and run it; the http part may not exist yet."""
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as missing:
        if name != "http" or missing.name != "benchmarks.http":
            raise
        print("[http] skipped: benchmarks/http.py is not there yet", flush=True)
        return []
    rows: list[report.Row] = module.run(options)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Run the chosen parts in order, print the table, save the JSON."""
    options = parse(argv)
    started = time.perf_counter()
    rows: list[report.Row] = []
    failures: dict[str, str] = {}
    for name in (part for part in PARTS if part in options.only):
        print(f"[{name}] starting ({time.perf_counter() - started:.0f} s in)", flush=True)
        try:
            rows += run_part(name, options)
        except Exception as error:  # one broken part still leaves the others' figures
            traceback.print_exc()
            failures[name] = f"{type(error).__name__}: {error}"
    seconds = time.perf_counter() - started
    print()
    print(report.table(rows))
    for name, problem in failures.items():
        print(f"[{name}] FAILED: {problem}")
    report.save(options.output, rows, options, seconds, failures)
    print(f"\n{len(rows)} rows in {seconds:.0f} s, saved to {options.output}")
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

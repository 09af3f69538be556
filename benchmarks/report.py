"""The suite's rows: how a part makes one, how they print as a table, how they are saved."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Row = dict[str, Any]
COLUMNS = ("part", "metric", "ours", "unit", "baseline", "ratio", "target", "verdict")


def row(
    part: str,
    metric: str,
    unit: str,
    ours: float,
    *,
    baseline: float | None = None,
    target: str = "",
    **extra: Any,
) -> Row:
    """One measured figure, the baseline it is compared with and the target it should meet."""
    return {
        "part": part,
        "metric": metric,
        "unit": unit,
        "ours": ours,
        "baseline": baseline,
        "target": target,
        **extra,
    }


def median_of(runs: int, measure: Callable[[], float], unit: str) -> float:
    """The median of `runs` calls of `measure`, each printed as it comes."""
    samples = []
    for _ in range(runs):
        samples.append(measure())
        print(f"  {number(samples[-1])} {unit}", flush=True)
    return statistics.median(samples)


def finite(value: float | None) -> float | None:
    """The value, or None for a figure that could not be measured (None, NaN, infinite)."""
    return value if value is not None and math.isfinite(value) else None


def ratio(r: Row) -> float | None:
    """Ours over the baseline, where both were measured."""
    ours, baseline = finite(r["ours"]), finite(r["baseline"])
    return ours / baseline if ours is not None and baseline else None


def verdict(r: Row) -> str:
    """ "met" or "missed" for a target the figures can check, else ""."""
    target = r["target"].replace(",", "").replace(" ", "")
    if match := re.fullmatch(r"≥([\d.]+)x", target):
        value = ratio(r)
        bound, at_least = float(match[1]), True
    elif match := re.fullmatch(r"([≥≤])([\d.]+)(?:/s|ms|%|MB)?", target):
        value = finite(r["ours"])
        bound, at_least = float(match[2]), match[1] == "≥"
    else:
        return ""
    if value is None:
        return ""
    return "met" if (value >= bound if at_least else value <= bound) else "missed"


def number(value: float | None) -> str:
    """A figure to three significant digits or so, with thousands separators."""
    value = finite(value)
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"


def cells(r: Row) -> tuple[str, ...]:
    """A row's printed cells, in COLUMNS order."""
    value = ratio(r)
    return (
        r["part"],
        r["metric"],
        number(r["ours"]),
        r["unit"],
        number(r["baseline"]),
        "—" if value is None else f"{value:.2f}x",
        r["target"] or "—",
        verdict(r),
    )


def table(rows: Sequence[Row]) -> str:
    """The rows as an aligned text table, numbers right-aligned, and their notes below it."""
    lines = [COLUMNS, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    numeric = {COLUMNS.index(c) for c in ("ours", "baseline", "ratio")}

    def fmt(line: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    notes = dict.fromkeys(r["note"] for r in rows if r.get("note"))
    return "\n".join(
        [fmt(lines[0]), rule, *(fmt(line) for line in lines[1:]), *(f"* {n}" for n in notes)]
    )


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or the platform's idea of it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """What the figures were measured on, and when."""
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def save(
    path: Path,
    rows: Sequence[Row],
    options: argparse.Namespace,
    seconds: float,
    failures: dict[str, str],
) -> None:
    """Write the rows, each with its ratio and verdict, and the machine they ran on as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "machine": machine(),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()},
        "seconds": round(seconds, 1),
        "failed_parts": failures,
        "rows": [
            {k: finite(v) if isinstance(v, float) else v for k, v in r.items()}
            | {"ratio": ratio(r), "verdict": verdict(r)}
            for r in rows
        ],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")

"""`orders projections ...`: what an operator sees and does, on the terminal."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from tqdm import tqdm

from orders.settings import Settings
from projections.checkpoints import State
from projections.engine import ProjectionEngine
from projections.status import Status


def run(settings: Settings, action: str, name: str | None, *, as_json: bool = False) -> int:
    """Carry out `action`; the exit code. An operator command never creates a database: where
    there is none, or it cannot be read, it says so in one line and exits with 2."""
    if (missing := missing_database(settings)) is not None:
        print(missing, file=sys.stderr)
        return 2
    try:
        return act(settings, action, name, as_json=as_json)
    except DBAPIError as error:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        reason = str(error.orig).strip().splitlines()[0]
        print(f"cannot read the service's database at {where}: {reason}", file=sys.stderr)
        return 2


def missing_database(settings: Settings) -> str | None:
    """Where an SQLite database should be and is not, as a line for the operator."""
    for url in (make_url(settings.database_url), make_url(settings.views_url)):
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            continue
        if not Path(url.database).exists():
            return (
                f"no database at {Path(url.database).resolve()}; run this where the service "
                "runs, or point DATABASE_URL at its database (e.g. DATABASE_URL=/srv/orders.db)"
            )
    return None


def act(settings: Settings, action: str, name: str | None, *, as_json: bool = False) -> int:
    from orders.bootstrap import build_projection_engine

    engine = build_projection_engine(settings)
    try:
        return carry_out(engine, action, name, as_json=as_json)
    finally:
        engine.close()


def carry_out(engine: ProjectionEngine, action: str, name: str | None, *, as_json: bool) -> int:
    engine.prepare()
    if name is not None and name not in engine.projections:
        print(
            f"no projection named {name!r}; there are: {', '.join(engine.projections)}",
            file=sys.stderr,
        )
        return 2
    if action == "status":
        statuses = engine.operations.statuses()
        print(json.dumps(status_records(statuses), indent=2) if as_json else status_table(statuses))
    elif action == "retry" and name:
        engine.operations.retry(name)
        print(f"{name}: resumed; the workers pick it up at their next sweep")
    elif action == "skip" and name:
        skipped = engine.operations.skip(name)
        print(
            f"{name}: skipped the event at position {skipped}"
            if skipped
            else f"{name} has not failed"
        )
    elif action == "rebuild" and name:
        try:
            generation = engine.operations.rebuild(name)
        except ValueError as refused:  # a reaction: it would act on every event again
            print(refused, file=sys.stderr)
            return 2
        rebuild(engine, name, generation)
    return 0


def status_table(statuses: list[Status]) -> str:
    header = ("name", "position", "head", "lag", "state", "last error")
    rows = [
        (
            s.projection.name,
            str(s.live.position),
            str(s.head),
            str(s.lag),
            s.state,
            s.live.error or "",
        )
        for s in statuses
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def status_records(statuses: list[Status]) -> list[dict[str, object]]:
    """The status table as data, for scripts (`--json`)."""
    return [
        {
            "name": s.projection.name,
            "position": s.live.position,
            "head": s.head,
            "lag": s.lag,
            "state": s.state,
            "error": s.live.error,
            "failedPosition": s.live.failed_position,
        }
        for s in statuses
    ]


def rebuild(engine: ProjectionEngine, name: str, generation: int) -> None:
    """Fill the new `generation` from position 0 while the live one serves, with a progress
    bar (events, rate, time left) on the terminal."""
    head = max(engine.operations.head(), 1)
    with tqdm(total=head, desc=name, unit=" events", unit_scale=True) as bar:

        def advanced() -> None:
            nonlocal head
            done = engine.operations.checkpoint(name, generation)
            head = max(engine.operations.head(), head)
            bar.total = head
            bar.update((done.position if done else head) - bar.n)

        while (checkpoint := engine.operations.checkpoint(name, generation)) is not None:
            if checkpoint.live:
                break
            if checkpoint.state is State.FAILED:
                bar.close()
                print(f"{name}: the rebuild stopped: {checkpoint.error}", file=sys.stderr)
                return
            engine.fill(name, generation, advanced)
            if checkpoint == engine.operations.checkpoint(name, generation):
                time.sleep(0.1)  # nothing moved: an event that failed waits out its back-off
    print(f"{name}: generation {generation} is live")

"""The `orders` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from orders import logs, operators
from orders.settings import Settings
from schema.auth import ROLES


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"orders: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    if args.command == "serve" or args.command == "worker":  # the others print for a person
        logs.configure(settings.log_level)
    if args.command == "serve":
        from orders.server import open_mode_allowed, serve  # here: the others start faster

        if not open_mode_allowed(settings, args.host):
            print(
                f"orders: refusing to serve on {args.host} with no authentication: set "
                "AUTH_SECRET (or AUTH_PUBLIC_KEY), or serve on 127.0.0.1",
                file=sys.stderr,
            )
            raise SystemExit(2)
        serve(args.host, args.port, access_log=settings.access_log)
    elif args.command == "token":
        if settings.auth_secret is None:
            print("orders: minting a token needs AUTH_SECRET", file=sys.stderr)
            raise SystemExit(2)
        from schema.auth import mint

        print(mint(settings.auth_secret, args.sub, args.role, args.customer_id, args.ttl))
    elif args.command == "worker":
        from orders.bootstrap import run_worker

        run_worker(
            settings,
            threads=args.threads,
            health_port=args.health_port,
            metrics_port=args.metrics_port,
        )
    else:
        name, as_json = getattr(args, "name", None), getattr(args, "json", False)
        raise SystemExit(operators.run(settings, args.action, name, as_json=as_json))


def parser() -> argparse.ArgumentParser:
    """The command line: `serve`, `worker` and `projections ...`."""
    parser = argparse.ArgumentParser(prog="orders", description="The orders service.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the GraphQL server (GraphiQL at /graphql)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    worker = commands.add_parser(
        "worker", help="run projection workers (distributed mode, REDIS_URL)"
    )
    worker.add_argument("--threads", type=int, default=2)
    worker.add_argument(
        "--health-port", type=int, help="answer /healthz and /readyz on this port (off if unset)"
    )
    worker.add_argument(
        "--metrics-port", type=int, help="answer /metrics on this port (off if unset)"
    )
    token = commands.add_parser("token", help="mint a bearer token with AUTH_SECRET (HS256)")
    token.add_argument("--sub", required=True, help="who the token is for")
    token.add_argument(
        "--role", action="append", required=True, choices=ROLES, help="repeat for several"
    )
    token.add_argument("--customer-id", help="the customer a customer's token acts for")
    token.add_argument("--ttl", type=duration, default=3600, help="e.g. 30m, 1h, 7d (1h)")
    projections = commands.add_parser("projections", help="inspect and operate the projections")
    actions = projections.add_subparsers(dest="action", required=True)
    status = actions.add_parser(
        "status", help="name, position, head, lag, state and last error of each"
    )
    status.add_argument("--json", action="store_true", help="as JSON, for scripts")
    for action, text in [
        ("retry", "resume a FAILED projection, trying its failing event again"),
        ("skip", "step a FAILED projection past its failing event (recorded)"),
        ("rebuild", "rebuild a view from position 0 beside the live one, then switch"),
    ]:
        actions.add_parser(action, help=text).add_argument("name")
    return parser


def duration(text: str) -> int:
    """Seconds in `90`, `30m`, `1h` or `7d`."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    if not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 30m, 1h, 7d)")
    return int(number) * units[unit]


if __name__ == "__main__":
    main()

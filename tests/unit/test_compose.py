"""docker-compose.yml, read as Docker would (Docker cannot run here): each orders service
runs a command the CLI accepts, and its health check asks /readyz on the port it serves."""

from pathlib import Path
from typing import Any

import yaml

from orders.cli import parser
from orders.settings import database_url

ROOT = Path(__file__).resolve().parents[2]


def services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    found: dict[str, Any] = compose["services"]
    return found


def test_the_api_and_the_worker_run_real_commands_in_the_distributed_mode():
    for name in ("api", "worker"):
        service = services()[name]
        command = service["command"]
        assert command[0] == "orders"
        parser().parse_args(command[1:])  # exits with a usage error on a wrong flag
        environment = service["environment"]
        assert database_url(environment["DATABASE_URL"]).startswith("postgresql+asyncpg://")
        assert environment["REDIS_URL"].startswith("redis://")
        assert set(service["depends_on"]) == {"postgres", "redis"}


def test_each_orders_service_is_checked_on_readyz_at_the_port_it_serves():
    ports = {
        "api": parser().parse_args(services()["api"]["command"][1:]).port,
        "worker": parser().parse_args(services()["worker"]["command"][1:]).health_port,
    }
    for name, port in ports.items():
        check = " ".join(services()[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/readyz" in check, (name, check)

"""The import rules of docs/architecture.md hold: each package imports only what it may."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("domain", "projections", "workers", "schema", "orders")

# What each package may import of the others (docs/architecture.md, "Packages").
ALLOWED = {
    "domain": ("domain",),
    "projections": (
        "projections",
        "domain.columns",
        "domain.events",
        "domain.log",
        "domain.logreader",
        "domain.utc",
        "domain.dialect",
        "domain.compiled",
    ),
    "workers": ("workers", "projections", "domain"),
    "schema": ("schema", "domain", "projections", "workers"),
}


def imports_of(path: Path) -> set[str]:
    """The modules of ours that a file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] in OURS}


def allowed(name: str, rules: tuple[str, ...]) -> bool:
    return any(name == rule or name.startswith(f"{rule}.") for rule in rules)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_the_design_allows(package: str):
    broken = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in imports_of(path)
        if not allowed(name, ALLOWED[package])
        # `from domain import events` names the module as domain.events: judge that one
        and not (name.count(".") == 0 and any(n.startswith(f"{name}.") for n in imports_of(path)))
    }
    assert sorted(broken) == []

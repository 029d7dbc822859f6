"""The domain package imports nothing but the standard library and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pricing.domain

DOMAIN = Path(pricing.domain.__file__).parent


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module)
    return roots


def test_domain_imports_only_stdlib_and_itself() -> None:
    offenders = {
        f"{path.name}: {module}"
        for path in sorted(DOMAIN.glob("*.py"))
        for module in imported_roots(path)
        if not module.startswith("pricing.domain")
        and module.split(".")[0] not in sys.stdlib_module_names
        and module != "__future__"
    }

    assert offenders == set()

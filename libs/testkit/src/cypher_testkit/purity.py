"""The one check that a service's domain is pure: `domain/` imports only the standard
library, its own domain package, the service's `errors` module and the runtime's
grpc-free `cypher_runtime.errors`; the service's `errors` module imports only the
standard library and `cypher_runtime.errors`. Every service's unit suite calls
`assert_domain_is_pure("<service>")` (see services/README.md)."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

RUNTIME_ERRORS = "cypher_runtime.errors"


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AssertionError(f"{package} is not an importable package")
    return Path(next(iter(spec.submodule_search_locations)))


def imported_modules(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    here = [package, *path.parent.relative_to(_package_dir(package)).parts]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def _is_stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


def _violations(path: Path, package: str, allowed_prefixes: tuple[str, ...]) -> list[str]:
    bad = []
    for line, module in imported_modules(path, package):
        if _is_stdlib(module) or module == RUNTIME_ERRORS:
            continue
        if any(module == p or module.startswith(p + ".") for p in allowed_prefixes):
            continue
        bad.append(f"{path}:{line} imports {module}")
    return bad


def domain_violations(package: str) -> list[str]:
    """Every forbidden import in `<package>/domain/` and `<package>/errors.py`."""
    root = _package_dir(package)
    domain = root / "domain"
    if not domain.is_dir():
        return [f"{package} has no domain/ package"]
    bad: list[str] = []
    for path in sorted(domain.rglob("*.py")):
        bad += _violations(path, package, (f"{package}.domain", f"{package}.errors"))
    errors = root / "errors.py"
    if errors.exists():
        bad += _violations(errors, package, ())
    return bad


def assert_domain_is_pure(package: str) -> None:
    bad = domain_violations(package)
    assert not bad, "the domain must stay framework-free:\n" + "\n".join(bad)

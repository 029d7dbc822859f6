"""The purity check every service runs on its domain (cypher_testkit.purity) and the
grpc-free error base it allows."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import cypher_runtime.errors
from cypher_testkit.purity import domain_violations


def test_runtime_error_base_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(cypher_runtime.errors.__file__).read_text())
    modules = [
        alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names
    ] + [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert all(m.split(".")[0] in sys.stdlib_module_names or m == "__future__" for m in modules)


@pytest.fixture
def fake_service(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "svc_pure_check"
    (root / "domain").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "domain" / "__init__.py").write_text("")
    (root / "errors.py").write_text("from cypher_runtime.errors import NotFound\n")
    sys.path.insert(0, str(tmp_path))
    yield root
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("svc_pure_check")]:
        del sys.modules[name]


def test_a_pure_domain_passes(fake_service: Path) -> None:
    (fake_service / "domain" / "model.py").write_text(
        "from decimal import Decimal\nfrom svc_pure_check.errors import X\nfrom . import rules\n"
    )
    assert domain_violations("svc_pure_check") == []


@pytest.mark.parametrize(
    "line",
    [
        "import grpc",
        "from google.protobuf import message",
        "from sqlalchemy import select",
        "from cypher_runtime.db import Database",
        "from svc_pure_check.db import Orders",
        "from ..wire import money",
    ],
)
def test_a_framework_import_in_the_domain_is_named(fake_service: Path, line: str) -> None:
    (fake_service / "domain" / "model.py").write_text(line + "\n")
    bad = domain_violations("svc_pure_check")
    assert len(bad) == 1
    assert "model.py:1" in bad[0]


def test_the_errors_module_may_not_reach_grpc(fake_service: Path) -> None:
    (fake_service / "errors.py").write_text("from cypher_runtime.grpc_errors import X\n")
    assert len(domain_violations("svc_pure_check")) == 1

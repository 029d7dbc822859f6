"""Make `gateway.*` resolve to the package under test when pytest imports the tests.

pytest's importlib mode names gateway/tests/conftest.py `gateway.tests.conftest` and
registers the repository's gateway/ directory as a namespace package called `gateway`,
shadowing the real package in gateway/src. Adding the real package's directory to that
namespace's search path makes `gateway.app` & co. resolve to the code under test (and
`gateway.tests.*` to these tests). Imported first by the conftest."""

from __future__ import annotations

import sys
from pathlib import Path

_namespace = sys.modules.get("gateway")
if _namespace is not None and getattr(_namespace, "__file__", None) is None:
    _real = str(Path(__file__).resolve().parents[1] / "src" / "gateway")
    if _real not in list(_namespace.__path__):
        _namespace.__path__.append(_real)

"""`make fuzz` only (CYPHER_FUZZ_BOUNDARIES=1, see conftest `collect_ignore`): schemathesis'
coverage phase — every documented constraint's boundary and just-past-boundary values
(int64 edges, lengths, enums, formats, missing required fields) for every operation, as
the admin, with the same four checks. It takes minutes, hence not in the CI budget.

`/auth/logout` and `/auth/2fa/*` are left out of this run: it sends one token for its whole
length, and these operations end or change that very session; the Hypothesis runs
(test_fuzz_api.py) cover them with a fresh login per operation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import AdminLogin, Budget, Tally
from .test_fuzz_api import CHECKS

pytestmark = pytest.mark.timeout(int(os.environ.get("CYPHER_FUZZ_TIMEOUT", "0")))


def test_boundary_values_as_admin(
    stack: object, admin_login: AdminLogin, budget: Budget, tally: Tally
) -> None:
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "run",
        f"{admin_login.stack.gateway_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {admin_login.fresh()}",
        "--phases",
        "coverage",
        "--checks",
        ",".join(check.__name__ for check in CHECKS),
        "--exclude-path-regex",
        "/auth/(logout|2fa/)",
        "--seed",
        str(budget.seed),
        "--continue-on-failure",
        "--no-color",
    ]
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    print(run.stdout[-6000:])
    generated = re.search(r"(\d+) generated", run.stdout)
    assert generated, run.stdout[-3000:] + run.stderr[-3000:]
    tally.requests["admin boundaries"] = int(generated[1])
    tally.started = started if tally.started is None else min(tally.started, started)
    tally.finished = time.monotonic()
    assert run.returncode == 0, run.stdout[-20000:]

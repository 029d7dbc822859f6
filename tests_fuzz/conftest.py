"""A stack of its own for the fuzzer: every service and the gateway as real processes on
fresh databases (created here, dropped after), a private exchange and queues on the
broker. The fuzzer tries everything the API allows — creating users, changing roles and
passwords — so it never runs against a database anybody else uses.

Budget (environment):
* CYPHER_FUZZ_MAX_EXAMPLES — examples per operation and generation mode (CI: 5);
* CYPHER_FUZZ_SEED — the Hypothesis seed; unset: a fixed seed and derandomized generation
  (the CI variant, the same requests on every run); `make fuzz` passes a random one and
  prints it, so a failure can be replayed with the same seed;
* CYPHER_FUZZ_TIMEOUT — seconds per run, the stack's boot included (CI 600; 0: none);
* CYPHER_FUZZ_BOUNDARIES=1 — also the boundary-value run (test_fuzz_boundaries.py).

The admin run cannot lock itself out: an admin changing its own role or state is refused
(409), its id (needed to change its password) is a random UUID the fuzzer does not learn,
and each operation starts with a fresh login, so a logout or a revoked token never
reaches the next operation; were the login ever refused, the run fails saying so."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import schemathesis
from schemathesis.config import SchemathesisConfig

from cypher_testkit.infra import amqp_url, postgres_admin_url
from cypher_testkit.stack import LocalStack, StackConfig

# The boundary-value run takes minutes: `make fuzz` only.
collect_ignore = [] if os.environ.get("CYPHER_FUZZ_BOUNDARIES") else ["test_fuzz_boundaries.py"]
LOG_DIR = Path(os.environ.get("CYPHER_FUZZ_LOG_DIR", Path(__file__).parent / ".logs"))
CI_SEED = 20261203


@dataclass
class Budget:
    max_examples: int
    seed: int
    deterministic: bool


@dataclass
class Tally:
    """Requests the fuzzer sent and the time it spent, printed at the end of the run."""

    requests: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    started: float | None = None
    finished: float | None = None

    def count(self, run: str, status: int) -> None:
        now = time.monotonic()
        self.started = self.started if self.started is not None else now
        self.finished = now
        self.requests[run] = self.requests.get(run, 0) + 1
        self.statuses[status] = self.statuses.get(status, 0) + 1


TALLY = Tally()


def budget() -> Budget:
    raw_seed = os.environ.get("CYPHER_FUZZ_SEED")
    return Budget(
        max_examples=int(os.environ.get("CYPHER_FUZZ_MAX_EXAMPLES", "5")),
        seed=int(raw_seed) if raw_seed else CI_SEED,
        deterministic=not raw_seed,
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack() -> AsyncIterator[LocalStack]:
    config = StackConfig(
        pg_admin_url=postgres_admin_url(),
        amqp_url=amqp_url(),
        log_dir=LOG_DIR,
        fresh=True,
        extra_env={
            "CYPHER_QUEUE_EXPIRES_MS": "60000",
            # The fuzzer is one client sending thousands of requests: the API and write
            # budgets are raised so it reaches the handlers; the login budget too, since
            # the admin run logs in again whenever its token may have been revoked.
            "GATEWAY_RATE_LIMIT_API": "1000000/15 minutes",
            "GATEWAY_RATE_LIMIT_WRITES": "1000000/minute",
            "GATEWAY_RATE_LIMIT_LOGIN": "1000000/minute",
            "GATEWAY_RATE_LIMIT_2FA": "1000000/minute",
        },
    )
    local = LocalStack(config)
    await local.create_databases()
    try:
        local.migrate()
        local.start()
        await local.wait_ready()
        yield local
    finally:
        local.stop()
        await local.drop_databases()


class AdminLogin:
    """A fresh admin access token for each operation the admin run fuzzes: a token the
    fuzzer revoked (a logout, a token-version bump) never leaks into the next operation."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.client = httpx.Client(base_url=stack.gateway_url, timeout=30)
        self.token: str | None = None

    def fresh(self) -> str:
        response = self.client.post(
            "/api/v1/auth/login",
            json={
                "email": self.stack.config.admin_email,
                "password": self.stack.config.admin_password,
            },
        )
        assert response.status_code == 200, (
            f"the admin can no longer log in: {response.status_code} {response.text}"
        )
        token: str = response.json()["data"]["access_token"]
        self.token = token
        return token


@pytest.fixture(scope="session")
def admin_login(stack: LocalStack) -> Iterator[AdminLogin]:
    login = AdminLogin(stack)
    yield login
    login.client.close()


def _config() -> SchemathesisConfig:
    b = budget()
    return SchemathesisConfig.from_dict(
        {
            "seed": b.seed,
            "generation": {"max-examples": b.max_examples, "deterministic": b.deterministic},
        }
    )


@pytest.fixture(scope="session")
def api_schema(stack: LocalStack) -> Any:
    return schemathesis.openapi.from_url(f"{stack.gateway_url}/openapi.json", config=_config())


@pytest.fixture
def tally() -> Tally:
    return TALLY


@pytest.fixture(name="budget")
def budget_fixture() -> Budget:
    return budget()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.started is None or TALLY.finished is None:
        return
    b = budget()
    total = sum(TALLY.requests.values())
    runs = ", ".join(f"{run} {n}" for run, n in sorted(TALLY.requests.items()))
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(TALLY.statuses.items()))
    terminalreporter.write_line(
        f"fuzzer: {total} requests ({runs}) in {TALLY.finished - TALLY.started:.1f} s; "
        f"max_examples={b.max_examples} seed={b.seed} "
        f"{'derandomized' if b.deterministic else 'random'}"
    )
    if statuses:
        terminalreporter.write_line(f"fuzzer statuses: {statuses}")

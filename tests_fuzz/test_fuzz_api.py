"""The gateway fuzzed from its own served OpenAPI document: every operation, positive and
negative inputs, once with an admin's token and once anonymous. Whatever it sends, the
gateway must answer without a 5xx, with a status the document lists for the operation, a
body matching the documented schema, and the documented content type.

Each operation runs as its own Hypothesis test (examples per mode from the budget, see
conftest); every failing operation is collected, and the test fails listing all of them."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import AdminLogin, Budget, Tally

# Each run (admin, anonymous) within this many seconds, the stack's boot included
# (`make fuzz`: 0, no limit).
pytestmark = pytest.mark.timeout(int(os.environ.get("CYPHER_FUZZ_TIMEOUT", "600")))

CHECKS: list[Any] = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


def one_operation(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    run: str,
    budget: Budget,
    tally: Tally,
) -> Callable[[], None]:
    """A Hypothesis test sending `max_examples` cases of one operation in one mode."""

    @settings(
        max_examples=budget.max_examples,
        derandomize=budget.deterministic,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case: Any) -> None:
        if run == "anonymous":
            case.headers = {
                k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
            }
            case.cookies = {}
        response = case.call(headers=headers, timeout=30)
        tally.count(run, response.status_code)
        case.validate_response(response, checks=CHECKS)

    test: Callable[[], None] = send if budget.deterministic else seed(budget.seed)(send)
    return test


def fuzz(
    api_schema: Any,
    budget: Budget,
    tally: Tally,
    run: str,
    headers_for: Callable[[], dict[str, str]],
) -> list[str]:
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        headers = headers_for()
        raw = operation.definition.raw
        modes = [GenerationMode.POSITIVE]
        if raw.get("parameters") or raw.get("requestBody"):  # nothing to get wrong otherwise
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                one_operation(operation, mode, headers, run, budget, tally)()
            # Every failing operation is reported, not the first; a schemathesis check
            # failure is a FailureGroup (a BaseExceptionGroup).
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"--- {run} {operation.label} ({mode.value}):\n{exc}")
    return failures


def test_admin(api_schema: Any, budget: Budget, tally: Tally, admin_login: AdminLogin) -> None:
    # A fresh login per operation: a token the fuzzer revoked never reaches the next one.
    failures = fuzz(
        api_schema,
        budget,
        tally,
        "admin",
        lambda: {"Authorization": f"Bearer {admin_login.fresh()}"},
    )
    assert not failures, "\n".join(failures)


def test_anonymous(api_schema: Any, budget: Budget, tally: Tally) -> None:
    failures = fuzz(api_schema, budget, tally, "anonymous", dict)
    assert not failures, "\n".join(failures)

"""The throttle never lets a SmartBill window see more than our budget; the breaker opens
on outages (not on business refusals), for a 403 block until its end, and closes again
after a good trial call."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from integration.smartbill.guard import Guard, Throttle, ThrottleSettings
from integration.smartbill.outcomes import AccountBlocked, CircuitOpen, Refused, Uncertain

WINDOW = 0.5


def guard(fail_max: int = 3, reset: float = 0.3, budget: int = 5, burst: int = 2) -> Guard:
    throttle = Throttle(
        ThrottleSettings(budget=budget, window_seconds=WINDOW, burst=burst, reserve=1)
    )
    return Guard("smartbill", throttle, fail_max=fail_max, reset_seconds=reset)


async def ok() -> str:
    return "ok"


async def down() -> str:
    raise Uncertain("read timeout")


async def refused() -> str:
    raise Refused("Cota TVA inexistenta", 200)


async def test_no_window_sees_more_calls_than_the_budget() -> None:
    g = guard(budget=5, burst=2)
    stamps: list[float] = []

    async def stamp() -> None:
        stamps.append(time.monotonic())

    await asyncio.gather(*(g.call(stamp) for _ in range(14)))
    for i, start in enumerate(stamps):
        in_window = [t for t in stamps[i:] if t < start + WINDOW]
        assert len(in_window) <= 5


async def test_the_rate_limit_headers_make_the_next_call_wait_for_the_reset() -> None:
    g = guard()
    g.throttle.observe({"x-ratelimit-remaining": "1", "x-ratelimit-reset": str(time.time() + 0.4)})
    started = time.monotonic()
    await g.call(ok)
    assert time.monotonic() - started >= 0.3


async def test_outages_open_the_circuit_and_refusals_do_not() -> None:
    g = guard(fail_max=3)
    for _ in range(5):
        with pytest.raises(Refused):
            await g.call(refused)
    assert g.status().state == "CLOSED"
    for _ in range(3):
        with pytest.raises(Uncertain):
            await g.call(down)
    assert g.status().state == "OPEN"
    assert g.status().last_error == "read timeout"
    with pytest.raises(CircuitOpen):
        await g.call(ok)


async def test_after_the_reset_time_one_good_trial_closes_the_circuit() -> None:
    g = guard(fail_max=1, reset=0.2)
    with pytest.raises(Uncertain):
        await g.call(down)
    assert not g.ready()
    await asyncio.sleep(0.25)
    assert g.ready()
    assert await g.call(ok) == "ok"
    assert g.status().state == "CLOSED"
    assert g.status().last_success_at is not None


async def test_a_failed_trial_opens_it_again() -> None:
    g = guard(fail_max=1, reset=0.2)
    with pytest.raises(Uncertain):
        await g.call(down)
    await asyncio.sleep(0.25)
    with pytest.raises(Uncertain):
        await g.call(down)
    assert g.status().state == "OPEN"


async def test_a_403_block_opens_the_circuit_until_the_block_ends() -> None:
    g = guard(fail_max=5, reset=0.1)
    until = datetime.now(UTC) + timedelta(seconds=0.6)

    async def blocked() -> str:
        raise AccountBlocked("blocked", until)

    with pytest.raises(AccountBlocked):
        await g.call(blocked)
    status = g.status()
    assert status.state == "OPEN"
    assert status.next_attempt_at is not None
    assert abs((status.next_attempt_at - until).total_seconds()) < 0.01
    await asyncio.sleep(0.3)  # past the breaker's own reset, still inside the block
    with pytest.raises(CircuitOpen):
        await g.call(ok)
    await asyncio.sleep(0.35)
    assert await g.call(ok) == "ok"
    assert g.status().state == "CLOSED"


async def test_the_breaker_state_is_exported_for_the_alert() -> None:
    from prometheus_client import REGISTRY

    throttle = Throttle(ThrottleSettings(budget=5, window_seconds=WINDOW, burst=2, reserve=1))
    g = Guard("gauge-check", throttle, fail_max=1, reset_seconds=0.2)

    def exported() -> float | None:
        labels = {"service": "integration", "system": "gauge-check"}
        return REGISTRY.get_sample_value("cypher_breaker_state", labels)

    assert exported() == 0
    with pytest.raises(Uncertain):
        await g.call(down)
    assert exported() == 2
    await asyncio.sleep(0.25)
    assert await g.call(ok) == "ok"
    assert exported() == 0

"""What stands between our code and SmartBill on every call: a throttle below the
account's limit and a circuit breaker.

Throttle. SmartBill allows `limit` calls per `window` seconds per account and blocks
the account for 10 minutes after one call too many. aiolimiter's leaky bucket lets at
most `burst + rate × T` calls through in any span of T seconds, so with
rate = (budget − burst) / window no window of SmartBill's ever sees more than `budget`
(< limit) of our calls. The X-RateLimit-* headers of every answer are obeyed too: when
SmartBill says only `reserve` calls are left in its window (other replicas or tools
share the account), we wait for its reset.

Breaker (pybreaker: CLOSED / OPEN / HALF_OPEN). Failures that say SmartBill is down
(no connection, timeouts, 5xx, 401) count; business refusals do not. A 403 block opens
it at once for as long as SmartBill says (X-RateLimit-Reset). While it is not CLOSED,
calls go one at a time, so a half-open trial is a single call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pybreaker
from aiolimiter import AsyncLimiter

from cypher_runtime.metrics import BREAKER_STATE
from integration.smartbill.outcomes import AccountBlocked, CircuitOpen, Refused, SmartBillError

T = TypeVar("T")

CLOSED = pybreaker.STATE_CLOSED
OPEN = pybreaker.STATE_OPEN
HALF_OPEN = pybreaker.STATE_HALF_OPEN


@dataclass(frozen=True)
class ThrottleSettings:
    budget: int  # calls we allow ourselves per window (below SmartBill's limit)
    window_seconds: float
    burst: int
    reserve: int  # wait for the reset when SmartBill says this few calls are left


@dataclass(frozen=True)
class LinkStatus:
    name: str
    state: str  # CLOSED | OPEN | HALF_OPEN
    consecutive_failures: int
    opened_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    last_success_at: datetime | None


class Throttle:
    def __init__(self, settings: ThrottleSettings) -> None:
        if not 0 < settings.burst < settings.budget:
            raise ValueError("throttle burst must be between 0 and the budget")
        self.settings = settings
        period = settings.burst * settings.window_seconds / (settings.budget - settings.burst)
        self.limiter = AsyncLimiter(settings.burst, period)
        self._remaining: int | None = None
        self._reset_at = 0.0  # epoch seconds

    async def acquire(self) -> None:
        await self.limiter.acquire()
        remaining = self._remaining
        if remaining is not None and remaining <= self.settings.reserve:
            wait = self._reset_at - time.time()
            if wait > 0:
                await asyncio.sleep(min(wait, self.settings.window_seconds))
            self._remaining = None

    def observe(self, headers: dict[str, str]) -> None:
        """Remember what SmartBill said about its window (X-RateLimit-*)."""
        try:
            self._remaining = int(headers["x-ratelimit-remaining"])
            self._reset_at = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return


class _BlockAwareStorage(pybreaker.CircuitMemoryStorage):
    """pybreaker's in-memory state; our own class so a 403 block can date the opening
    such that the breaker's next trial falls exactly at SmartBill's unblock time."""


_STATE_VALUE = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}


class _OpenedAt(pybreaker.CircuitBreakerListener):
    """Remembers when the circuit really opened (the storage's date may be moved), and
    shows the state as the `cypher_breaker_state` gauge the breaker alert reads."""

    def __init__(self, system: str) -> None:
        self.at: datetime | None = None
        self._gauge = BREAKER_STATE.labels("integration", system)
        self._gauge.set(0)

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        if new_state.name == OPEN:
            self.at = datetime.now(UTC)
        self._gauge.set(_STATE_VALUE.get(new_state.name, 0))


class Guard:
    def __init__(
        self,
        name: str,
        throttle: Throttle,
        *,
        fail_max: int,
        reset_seconds: float,
    ) -> None:
        self.name = name
        self.throttle = throttle
        self._storage = _BlockAwareStorage(pybreaker.STATE_CLOSED)
        self._opened = _OpenedAt(name)
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_seconds,
            exclude=[Refused],
            listeners=[self._opened],
            state_storage=self._storage,
            name=name,
            throw_new_error_on_trip=False,
        )
        self._trial = asyncio.Lock()
        self.last_error = ""
        self.last_error_at: datetime | None = None
        self.last_success_at: datetime | None = None

    # -- state ---------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return str(self.breaker.current_state)

    def next_attempt_at(self) -> datetime | None:
        opened = self._storage.opened_at
        if self.state != OPEN or opened is None:
            return None
        return opened + timedelta(seconds=self.breaker.reset_timeout)

    def ready(self) -> bool:
        """False while open and not yet due for a trial: callers keep their work queued."""
        due = self.next_attempt_at()
        return due is None or datetime.now(UTC) >= due

    def status(self) -> LinkStatus:
        state = self.state
        return LinkStatus(
            name=self.name,
            state={CLOSED: "CLOSED", OPEN: "OPEN", HALF_OPEN: "HALF_OPEN"}.get(state, state),
            consecutive_failures=int(self.breaker.fail_counter),
            opened_at=self._opened.at if state != CLOSED else None,
            next_attempt_at=self.next_attempt_at(),
            last_error=self.last_error,
            last_error_at=self.last_error_at,
            last_success_at=self.last_success_at,
        )

    def block_until(self, until: datetime) -> None:
        """SmartBill blocked us: open now, first trial when the block ends."""
        self.breaker.open()
        self._storage.opened_at = until - timedelta(seconds=self.breaker.reset_timeout)

    # -- calling -------------------------------------------------------------------------
    async def call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        if self.state == CLOSED:
            return await self._call(attempt)
        if not self.ready():
            raise CircuitOpen(self.next_attempt_at())
        async with self._trial:
            return await self._call(attempt)

    async def _call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        await self.throttle.acquire()
        try:
            with self.breaker.calling():
                result = await attempt()
        except pybreaker.CircuitBreakerError:
            raise CircuitOpen(self.next_attempt_at()) from None
        except AccountBlocked as exc:
            self._failed(exc)
            self.block_until(exc.until)
            raise
        except Refused:
            raise  # a business answer: the link is fine, the document is not
        except SmartBillError as exc:
            self._failed(exc)
            raise
        self.last_success_at = datetime.now(UTC)
        return result

    def _failed(self, exc: SmartBillError) -> None:
        self.last_error = exc.message
        self.last_error_at = datetime.now(UTC)

"""SmartBill's call limit: N calls per fixed window per account; one call over the
limit blocks the account for a while (10 minutes on the real service)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when calls are allowed again / the window restarts

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }


@dataclass
class _Account:
    window_start: float
    calls: int = 0
    blocked_until: float = 0.0


class RateLimiter:
    def __init__(
        self,
        limit: int,
        window_seconds: float,
        block_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.block = block_seconds
        self.clock = clock
        self._accounts: dict[str, _Account] = {}

    def hit(self, account: str) -> Verdict:
        now = self.clock()
        acc = self._accounts.setdefault(account, _Account(window_start=now))
        if now < acc.blocked_until:
            return Verdict(False, self.limit, 0, acc.blocked_until)
        if acc.blocked_until or now - acc.window_start >= self.window:
            # A block that has ended starts a fresh window too.
            acc.window_start, acc.calls, acc.blocked_until = now, 0, 0.0
        acc.calls += 1
        if acc.calls > self.limit:
            acc.blocked_until = now + self.block
            return Verdict(False, self.limit, 0, acc.blocked_until)
        return Verdict(True, self.limit, self.limit - acc.calls, acc.window_start + self.window)

    def reset(self) -> None:
        self._accounts.clear()

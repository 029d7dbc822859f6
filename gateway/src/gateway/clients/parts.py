"""The one policy for the optional parts of an aggregate response (GET /products/{sku},
/orders/{id}, /customers/{id}): the required part decides the request's outcome; an
optional part that fails for any reason (down, slow, absent, not implemented, refused)
is `null`, and `metadata.degraded` names the part and why. The parts run in parallel,
each under its own short deadline (`GATEWAY_AGGREGATE_PART_TIMEOUT_SECONDS`)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from gateway.clients.base import UpstreamError

T = TypeVar("T")


class Parts:
    def __init__(self) -> None:
        self.degraded: dict[str, str] = {}

    async def get(self, part: str, pending: Awaitable[T]) -> T | None:
        try:
            return await pending
        except UpstreamError as err:
            self.degraded[part] = err.degraded_reason()
            return None

    def missing(self, part: str, reason: str) -> None:
        """The upstream answered, but has nothing for this part."""
        self.degraded.setdefault(part, reason)

    def metadata(self) -> dict[str, Any]:
        return {"degraded": self.degraded} if self.degraded else {}

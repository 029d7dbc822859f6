"""The WooCommerce REST v3 client. It knows the shop only by configuration (base URL,
consumer key and secret), so the real shop and the local fake are the same code path.

One kept `httpx.AsyncClient` (connection pool), a timeout on every call, and every call
through a guard of part 1 (`integration.smartbill.guard.Guard`: a pybreaker circuit
breaker CLOSED / OPEN / HALF_OPEN plus a throttle): the shop being down (no connection,
timeout, 5xx, 429) counts against the breaker; the shop refusing a request (4xx) does
not. Calls are retried with exponential backoff (a 429's Retry-After respected): both
calls we make are safe to repeat — a product lookup reads, and a batch update writes
absolute values; a batch create that may have gone through meets the duplicate-SKU
answer, which names the product it created.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from integration.shop.domain.runs import SHOP_BATCH_LIMIT
from integration.smartbill.guard import Guard
from integration.smartbill.outcomes import CircuitOpen, Refused, Uncertain

log = logging.getLogger(__name__)

API_PATH = "/wp-json/wc/v3/"


class ShopDown(Uncertain):
    """The shop did not answer usefully (no connection, timeout, 5xx, 429)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ShopRefused(Refused):
    """The shop answered the whole request with a 4xx: a mistake of ours, not an outage."""


@dataclass(frozen=True)
class ShopConfig:
    base_url: str  # the shop root, e.g. https://shop.example.ro
    consumer_key: str
    consumer_secret: str
    timeout_seconds: float
    connect_timeout_seconds: float
    attempts: int


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ShopDown) and not isinstance(exc, CircuitOpen)


class _Backoff:
    """Exponential backoff with jitter, or the shop's Retry-After when it gave one."""

    def __init__(self) -> None:
        self.exponential = wait_exponential_jitter(multiplier=0.2, max=5.0)

    def __call__(self, state: Any) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ShopDown) and exc.retry_after is not None:
            return min(exc.retry_after, 30.0)
        return float(self.exponential(state))


class WooClient:
    def __init__(
        self,
        config: ShopConfig,
        guard: Guard,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.guard = guard
        self.calls = 0  # every HTTP request made (figures, tests)
        self.http = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/") + API_PATH,
            auth=httpx.BasicAuth(config.consumer_key, config.consumer_secret),
            headers={"Accept": "application/json"},
            timeout=httpx.Timeout(config.timeout_seconds, connect=config.connect_timeout_seconds),
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
            transport=transport,
        )

    async def close(self) -> None:
        await self.http.aclose()

    # -- calls ---------------------------------------------------------------------------
    async def ids_by_sku(self, skus: Sequence[str]) -> dict[str, int]:
        """The shop's product ids of these skus (absent = not in the shop)."""
        found: dict[str, int] = {}
        wanted = sorted(set(skus))
        for start in range(0, len(wanted), SHOP_BATCH_LIMIT):
            chunk = wanted[start : start + SHOP_BATCH_LIMIT]
            page = 1
            while True:
                params = {"sku": ",".join(chunk), "per_page": "100", "page": str(page)}
                body, headers = await self._call("GET", "products", params=params)
                for product in body if isinstance(body, list) else []:
                    sku, woo_id = product.get("sku"), product.get("id")
                    if isinstance(sku, str) and isinstance(woo_id, int) and sku in chunk:
                        found.setdefault(sku, woo_id)
                pages = int(headers.get("x-wp-totalpages", "1") or 1)
                if page >= pages:
                    break
                page += 1
        return found

    async def batch(
        self, *, create: Sequence[dict[str, Any]], update: Sequence[dict[str, Any]]
    ) -> dict[str, Any]:
        if len(create) + len(update) > SHOP_BATCH_LIMIT:
            raise ValueError(f"a batch holds at most {SHOP_BATCH_LIMIT} items")
        body, _ = await self._call(
            "POST", "products/batch", json={"create": list(create), "update": list(update)}
        )
        if not isinstance(body, dict):
            raise ShopDown("batch answer is not an object")
        return body

    # -- plumbing ------------------------------------------------------------------------
    async def _call(self, method: str, path: str, **kwargs: Any) -> tuple[Any, httpx.Headers]:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.config.attempts),
            wait=_Backoff(),
            retry=retry_if_exception(_retryable),
            reraise=True,
        ):
            with attempt:
                return await self.guard.call(lambda: self._once(method, path, **kwargs))
        raise AssertionError("unreachable")  # pragma: no cover - reraise=True

    async def _once(self, method: str, path: str, **kwargs: Any) -> tuple[Any, httpx.Headers]:
        self.calls += 1
        try:
            reply = await self.http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ShopDown(f"WooCommerce {method} {path}: timeout") from exc
        except httpx.TransportError as exc:
            raise ShopDown(f"WooCommerce {method} {path}: {type(exc).__name__}") from exc
        if reply.status_code == 429 or reply.status_code >= 500:
            raise ShopDown(
                f"WooCommerce {method} {path}: HTTP {reply.status_code} {_code(reply)}".strip(),
                _retry_after(reply) if reply.status_code == 429 else None,
            )
        if reply.status_code >= 400:
            raise ShopRefused(
                f"WooCommerce {method} {path}: HTTP {reply.status_code} {_code(reply)}".strip(),
                reply.status_code,
            )
        try:
            return reply.json(), reply.headers
        except ValueError as exc:
            raise ShopDown(f"WooCommerce {method} {path}: answer is not JSON") from exc


def _code(reply: httpx.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return f"{body.get('code', '')} {body.get('message', '')}".strip()
    return ""


def _retry_after(reply: httpx.Response) -> float | None:
    try:
        return max(float(reply.headers.get("retry-after", "")), 0.0)
    except ValueError:
        return None

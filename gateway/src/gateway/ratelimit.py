"""Rate limits per client (`limits`, async moving window): API and writes for every
/api/v1 request in a middleware; login and 2FA inside their routes (they need the body
or the user). The client is the user id when authenticated, the API key (its own budget,
`api_key`, or the key's `rate_limit_per_minute`) for a key, else the IP address.

Every limited response carries `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset` (seconds) of the tightest limit that applied; a refusal is a 429 in
the envelope with `Retry-After`."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from fastapi import Request
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.deps import KEY_RATE_KEY, WRITE_METHODS, authenticate, resolve_principal
from gateway.envelope import fail
from gateway.errors import ApiError
from gateway.middleware import API_PREFIX
from gateway.settings import GatewaySettings

# Probes and docs are never limited: a busy client must not make the pod look dead.
UNLIMITED_PATHS = frozenset(
    {f"{API_PREFIX}/health", f"{API_PREFIX}/ready", f"{API_PREFIX}/metrics"}
)
_STATE_KEY = "ratelimit"


def _async_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


@dataclass(frozen=True, slots=True)
class Verdict:
    limit: int
    remaining: int
    reset_after: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        h = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }
        if not self.allowed:
            h["Retry-After"] = str(max(self.reset_after, 1))
        return h


class RateLimiter:
    """The limits of one gateway process, on the configured storage (memory or Redis)."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.storage: Storage = storage_from_string(_async_uri(settings.rate_limit_storage))  # type: ignore[assignment]
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.items: dict[str, RateLimitItem] = {
            "api": parse(settings.rate_limit_api),
            "writes": parse(settings.rate_limit_writes),
            "login": parse(settings.rate_limit_login),
            "2fa": parse(settings.rate_limit_2fa),
            "api_key": parse(settings.rate_limit_api_key),
        }
        self._per_minute: dict[int, RateLimitItem] = {}
        self.trust_forwarded_for = settings.trust_forwarded_for

    def per_minute(self, amount: int) -> RateLimitItem:
        item = self._per_minute.get(amount)
        if item is None:
            item = self._per_minute[amount] = parse(f"{amount}/minute")
        return item

    async def hit(self, name: str, client: str, item: RateLimitItem | None = None) -> Verdict:
        if item is None:
            item = self.items[name]
        allowed = await self.strategy.hit(item, name, client)
        reset_at, remaining = await self.strategy.get_window_stats(item, name, client)
        return Verdict(
            limit=item.amount,
            remaining=max(remaining, 0),
            reset_after=max(math.ceil(reset_at - time.time()), 0),
            allowed=allowed,
        )

    async def reset(self) -> None:
        await self.storage.reset()

    def client_ip(self, scope: Scope) -> str:
        if self.trust_forwarded_for:
            for name, value in scope.get("headers", ()):
                if name == b"x-forwarded-for":
                    return str(value.decode("latin-1")).split(",")[0].strip()
        client = scope.get("client")
        return str(client[0]) if client else "unknown"


def _remember(scope: Scope, verdict: Verdict) -> None:
    """Keep the tightest verdict of the request for the response headers."""
    state = scope.setdefault("state", {})
    current: Verdict | None = state.get(_STATE_KEY)
    if current is None or verdict.remaining < current.remaining or not verdict.allowed:
        state[_STATE_KEY] = verdict


async def enforce(request: Request, name: str, client: str) -> None:
    """Count one hit of a route-specific limit (login, 2fa); 429 when exhausted."""
    limiter: RateLimiter = request.app.state.rate_limiter
    if not limiter.enabled:
        return
    verdict = await limiter.hit(name, client)
    _remember(request.scope, verdict)
    if not verdict.allowed:
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"too many {name} attempts; retry in {verdict.reset_after} s",
            {"limit": name, "retry_after": verdict.reset_after},
            headers=verdict.headers(),
        )


def client_key(request: Request) -> str:
    principal = resolve_principal(request)
    if principal is not None and principal.key_id is not None:
        return f"key:{principal.key_id}"
    if principal is not None:
        return f"user:{principal.user_id}"
    limiter: RateLimiter = request.app.state.rate_limiter
    return f"ip:{limiter.client_ip(request.scope)}"


class RateLimitMiddleware:
    """API and write limits for /api/v1, plus the RateLimit-* headers of any verdict."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not self.limiter.enabled
            or not path.startswith(API_PREFIX)
            or path in UNLIMITED_PATHS
            or scope["method"] == "OPTIONS"
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        principal = await authenticate(request)
        client = client_key(request)
        checks: list[tuple[str, RateLimitItem | None]]
        if principal is not None and principal.key_id is not None:
            per_minute: int | None = scope.get("state", {}).get(KEY_RATE_KEY)
            own = self.limiter.per_minute(per_minute) if per_minute else None
            checks = [("api_key", own)]
        else:
            names = ["api", "writes"] if scope["method"] in WRITE_METHODS else ["api"]
            checks = [(name, None) for name in names]
        for name, item in checks:
            verdict = await self.limiter.hit(name, client, item)
            _remember(scope, verdict)
            if not verdict.allowed:
                response = fail(
                    429,
                    "RATE_LIMITED",
                    f"rate limit exceeded ({name}); retry in {verdict.reset_after} s",
                    {"limit": name, "retry_after": verdict.reset_after},
                    headers=verdict.headers(),
                )
                await response(scope, receive, send)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                verdict: Verdict | None = scope.get("state", {}).get(_STATE_KEY)
                if verdict is not None:
                    present = {k.lower() for k, _ in message.get("headers", [])}
                    extra = [
                        (k.lower().encode(), v.encode())
                        for k, v in verdict.headers().items()
                        if k.lower().encode() not in present
                    ]
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

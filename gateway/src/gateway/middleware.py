"""Request id (accepted or generated, echoed on every response) and HTTP metrics."""

from __future__ import annotations

import logging
import re
import time

from opentelemetry import trace
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cypher_runtime.context import new_request_id, request_id_var
from gateway.envelope import fail

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "cypher_http_requests_total", "Gateway HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "cypher_http_request_seconds",
    "Gateway HTTP latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
API_PREFIX = "/api/v1"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware) so it adds no task hop on the hot path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _VALID_ID.match(incoming) else new_request_id()
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        started_response = False

        async def send_tracked(message: Message) -> None:
            nonlocal started_response
            if message["type"] == "http.response.start":
                started_response = True
            await send_with_id(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception:
            # Answered here, inside the request's context, so the envelope carries the
            # request id (Starlette's last-resort handler runs after it is gone).
            log.exception("unhandled error")
            if started_response:
                raise
            status = 500
            await fail(500, "INTERNAL", "internal error")(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(scope["method"], path, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], path).observe(time.perf_counter() - started)
            request_id_var.reset(token)


# Swagger UI (/docs) loads its bundle from jsdelivr and runs one inline bootstrap script;
# every other response is JSON and gets the strictest policy.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")


class SecurityHeadersMiddleware:
    """nosniff, no framing, no referrer leaks, a CSP, and HSTS outside development."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        base = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            base.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        self.api_headers = [*base, (b"content-security-policy", API_CSP.encode())]
        self.docs_headers = [*base, (b"content-security-policy", DOCS_CSP.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs_headers if scope.get("path") in _DOCS_PATHS else self.api_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def span_details(scope: Scope) -> tuple[str, dict[str, str]]:
    """The server span's first name: the method only. The route template is unknown until
    routing, so `RouteSpanName` renames the span afterwards; the stock FastAPI
    instrumentation instead re-matches every route per request (a third of a millisecond
    in the benchmark profile)."""
    return str(scope.get("method", "HTTP")), {}


class RouteSpanName:
    """Inside the OpenTelemetry ASGI middleware: name the server span `METHOD /route/{x}`
    and set `http.route` once FastAPI has matched the route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None)
            span = trace.get_current_span()
            if template and scope["type"] == "http" and span.is_recording():
                # FastAPI reports the path as declared in the area's router (no /api/v1).
                full = (
                    template
                    if scope.get("path", "").startswith(template)
                    else f"{API_PREFIX}{template}"
                )
                span.update_name(f"{scope['method']} {full}")
                span.set_attribute("http.route", full)

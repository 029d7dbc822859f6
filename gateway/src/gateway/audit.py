"""Audit trail of every mutating /api/v1 request (actor, action, resource, request id,
outcome, time, client IP, the body with secrets redacted), written to the gateway DB
after the response so it never delays or breaks the answer."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cypher_runtime.clock import Clock
from cypher_runtime.context import current_request_id
from cypher_runtime.db import Database
from gateway.deps import resolve_principal
from gateway.errors import database_unavailable
from gateway.tables import AuditEntry

log = logging.getLogger(__name__)

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REDACTED = "***"
# A key containing any of these is a secret, whatever the endpoint.
_SECRET_MARKERS = ("password", "secret", "token", "totp", "backup_code", "otp")
_MAX_BODY = 64 * 1024


def redact(value: Any) -> Any:
    """A copy of a JSON value with every secret-looking field replaced."""
    if isinstance(value, dict):
        return {
            k: REDACTED if any(m in str(k).lower() for m in _SECRET_MARKERS) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def outcome_of(status: int) -> str:
    if status < 400:
        return "success"
    if status in (401, 403, 429):
        return "denied"
    return "error" if status >= 500 else "rejected"


class AuditMiddleware:
    def __init__(self, app: ASGIApp, db_of: Any, clock: Clock, prefix: str = "/api/v1") -> None:
        self.app = app
        # The DB is created in the lifespan, after the middleware stack is built.
        self.db_of = db_of
        self.clock = clock
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in MUTATING
            or not scope.get("path", "").startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        status = 500

        async def receive_copy() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < _MAX_BODY:
                body.extend(message.get("body", b"")[: _MAX_BODY - len(body)])
            return message

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive_copy, send_status)
        finally:
            await self._record(scope, bytes(body), status)

    async def _record(self, scope: Scope, body: bytes, status: int) -> None:
        request = Request(scope)
        principal = resolve_principal(request)
        state = scope.get("state", {})
        actor = principal.user_id if principal else state.get("actor") or "anonymous"
        # FastAPI puts the route as declared in its router (without the /api/v1 prefix).
        template = getattr(scope.get("route"), "path", None)
        if template and not template.startswith(self.prefix):
            template = self.prefix + template
        parsed: Any = None
        if body:
            try:
                parsed = redact(json.loads(body))
            except (ValueError, RecursionError):
                parsed = {"_raw": "non-JSON body omitted"}
            if b"\\u0000" in body:  # JSONB cannot hold NUL (the request was refused)
                parsed = {"_raw": "body with a NUL character omitted"}
        if parsed is not None and not isinstance(parsed, dict):
            parsed = {"_body": parsed}
        client = scope.get("client")
        entry = AuditEntry(
            at=self.clock.now(),
            actor=str(actor)[:64],
            action=f"{scope['method']} {template or scope.get('path', '')}"[:200],
            resource=scope.get("path", "")[:500],
            method=scope["method"],
            request_id=current_request_id(),
            status_code=status,
            outcome=outcome_of(status),
            client_ip=(client[0] if client else None),
            body=parsed,
        )
        db: Database | None = self.db_of()
        if db is None:
            return
        try:
            async with db.sessions() as session, session.begin():
                session.add(entry)
        except Exception as exc:
            # The response is already sent; losing an audit row is logged loudly, not raised.
            if database_unavailable(exc):  # one line per request while the database is away
                log.error(
                    "audit write failed: database unavailable",
                    extra={"action": entry.action, "error": repr(exc)[:300]},
                )
            else:
                log.exception("audit write failed", extra={"action": entry.action})

"""The edge of the public API: what text and which JSON shapes the gateway accepts, before
any route runs. Control characters (U+0000–U+001F except TAB, LF and CR, and U+007F)
are refused with a 400 naming the parameter or field — never stripped, so what is stored
is what the client sent. A JSON body deeper than `MAX_JSON_DEPTH` or larger than
`MAX_BODY_BYTES` is refused with a 400 after the body was read in full, so the
connection stays usable; a declared length above the limit is refused without reading,
with `Connection: close`."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.envelope import fail

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "control characters are not allowed"
MAX_JSON_DEPTH = 32
MAX_BODY_BYTES = 1024 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def refuse_control(value: Any) -> Any:
    """For pydantic validators: refuse control characters in a string, also inside
    lists and dicts."""
    if isinstance(value, str):
        if has_control(value):
            raise ValueError(CONTROL_MESSAGE)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            refuse_control(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_control(key)
            refuse_control(item)
    return value


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when brackets nest deeper than `limit` (strings skipped); a linear scan, no
    parsing, so a hostile body costs nothing more than its length."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _fields_with_control(scope: Scope) -> dict[str, str]:
    fields: dict[str, str] = {}
    if has_control(scope.get("path", "")):
        fields["path"] = CONTROL_MESSAGE
    query = scope.get("query_string", b"").decode("latin-1")
    if query and has_control(unquote(query, errors="replace")):
        for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
            if has_control(name) or has_control(value):
                fields[name if not has_control(name) else "query"] = CONTROL_MESSAGE
        fields = fields or {"query": CONTROL_MESSAGE}
    return fields


class EdgeGuardMiddleware:
    """Refuses control characters in the path and query, and JSON bodies that are too
    deep or too large, before routing (pure ASGI, no task hop)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fields = _fields_with_control(scope)
        if fields:
            await _refuse(scope, receive, send, fields)
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _refuse(scope, receive, send, {"body": _TOO_LARGE}, close=True)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await _refuse(scope, receive, send, {"body": _TOO_LARGE}, close=True)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth_exceeds(
            body, MAX_JSON_DEPTH
        ):
            await _refuse(scope, receive, send, {"body": _TOO_DEEP})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


_TOO_LARGE = f"larger than {MAX_BODY_BYTES} bytes"
_TOO_DEEP = f"nested deeper than {MAX_JSON_DEPTH} levels"


async def _refuse(
    scope: Scope, receive: Receive, send: Send, fields: dict[str, str], *, close: bool = False
) -> None:
    # A refused body that was not read leaves the connection unusable: say so.
    response = fail(
        400,
        "VALIDATION_ERROR",
        "invalid request",
        {"fields": fields},
        headers={"Connection": "close"} if close else None,
    )
    await response(scope, receive, send)

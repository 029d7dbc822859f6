"""The served OpenAPI document: every failure a route really answers, derived from what
the route depends on, with the error envelope's schema; FastAPI's default 422
"HTTPValidationError" (which this API never sends: bad input is a 400) is removed.

A route answers, as an `ErrorEnvelope`:
* 400 always: the edge (gateway/edge.py) refuses a control character in any query
  parameter or path, and a too deep or too large JSON body on any write, before routing;
* 401 when it needs a logged-in user; 403 when its permission is not held by every role;
* 404 when it has path parameters or reads through an upstream;
* 409 when it writes through an upstream, or honours an Idempotency-Key (in progress);
* 422 when it honours an Idempotency-Key (same key, other body);
* 429 under /api/v1 (rate limits), probes aside;
* 501, 502, 503 (with Retry-After), 504 when it calls an upstream; 503 when it needs the
  gateway's own database.
A route adds what its own code raises beyond that with `responses=errors(…)`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from gateway import ownership, rbac
from gateway.deps import (
    UPSTREAM_CLIENTS,
    PermissionCheck,
    current_user,
    get_database,
    get_session,
)
from gateway.envelope import ErrorEnvelope
from gateway.idempotency import get_idempotency
from gateway.middleware import API_PREFIX
from gateway.ratelimit import UNLIMITED_PATHS

DESCRIPTIONS = {
    400: "Invalid input (`error.details.fields`: field → message)",
    401: "Not authenticated",
    403: "Role not allowed",
    404: "Not found",
    409: "Conflict (illegal transition, duplicate, insufficient stock, request in progress)",
    422: "Idempotency-Key reused with a different body",
    429: "Rate limited (see Retry-After)",
    501: "The upstream service does not provide this yet",
    502: "The upstream service failed",
    503: "An upstream service or the database is unavailable (see Retry-After)",
    504: "Upstream deadline exceeded",
}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_EVERY_ROLE = frozenset(rbac.Role)
_ERROR_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
_UNDOCUMENTED = frozenset({f"{API_PREFIX}/metrics", "/metrics"})


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route for failures its own code raises."""
    return {code: {"model": ErrorEnvelope, "description": DESCRIPTIONS[code]} for code in codes}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path template, route) of every documented route. FastAPI keeps included
    routers lazily, so walk the effective route contexts rather than `app.routes`."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and context.path_format:
            yield context.path_format, route


def error_codes(path: str, route: APIRoute) -> set[int]:
    calls = set(_calls(route.dependant))
    methods = set(route.methods or ())
    upstream = bool(calls & UPSTREAM_CLIENTS)
    idempotent = get_idempotency in calls
    # The edge guard answers 400 on every route (control characters in any query
    # parameter, the path, too deep or too large bodies), whatever the route takes.
    codes: set[int] = {400}
    if current_user in calls:
        codes.update((401, 503))  # 503: the token version is read from the database
        if methods & _WRITES:
            codes.add(403)  # a cookie-authenticated write without its CSRF token
    if any(
        isinstance(c, PermissionCheck) and rbac.PERMISSIONS[c.permission] != _EVERY_ROLE
        for c in calls
    ):
        codes.add(403)
    if route.dependant.path_params or upstream:
        codes.add(404)
    if (upstream and methods & _WRITES) or idempotent:
        codes.add(409)
    if idempotent:
        codes.add(422)
    if path.startswith(API_PREFIX) and path not in UNLIMITED_PATHS:
        codes.add(429)
    if upstream:
        codes.update((501, 502, 503, 504))
    if calls & {get_session, get_database, get_idempotency}:
        codes.add(503)
    return codes


def _document(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorEnvelope"] = error_schema
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, route in api_routes(app):
        for method in route.methods or ():
            operation = doc["paths"].get(path, {}).get(method.lower())
            if operation is None:  # included with include_in_schema=False
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            default_422 = responses.get("422", {})
            if "HTTPValidationError" in str(default_422):
                del responses["422"]
            if path in _UNDOCUMENTED:
                continue
            _tag_partner_facing(method, path, operation)
            for code in sorted(error_codes(path, route) | _declared(route)):
                entry = responses.setdefault(str(code), {"description": DESCRIPTIONS[code]})
                entry["content"] = {"application/json": {"schema": _ERROR_REF}}
                if code in (429, 503):
                    entry["headers"] = {
                        "Retry-After": {
                            "description": "seconds to wait",
                            "schema": {"type": "integer"},
                        }
                    }
    return _rename_envelopes(doc)


_ENVELOPE = re.compile(r"^Envelope_(list_)?(\w+?)_+$")


def _rename_envelopes(doc: dict[str, Any]) -> dict[str, Any]:
    """Pydantic names `Envelope[Order]` `Envelope_Order_`; the document says
    `OrderEnvelope` (a list: `OrderList`), so generated clients get readable classes."""
    schemas: dict[str, Any] = doc["components"]["schemas"]
    renames = {}
    for name in list(schemas):
        found = _ENVELOPE.match(name)
        if found:
            new = f"{found[2]}{'List' if found[1] else 'Envelope'}"
            renames[name] = new
            schemas[new] = schemas.pop(name)
            schemas[new]["title"] = new
    text = json.dumps(doc)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    result: dict[str, Any] = json.loads(text)
    return result


PARTNER_TAG = "partner"
_NOT_PARTNER_FACING = frozenset({ownership.Rule.PUBLIC, ownership.Rule.STAFF_ONLY})


def _tag_partner_facing(method: str, path: str, operation: dict[str, Any]) -> None:
    """A route a partner (a customer-bound user or API key) may call carries the tag
    `partner` and says what it sees of it (the ownership rule)."""
    rule = ownership.rule_of(method, path)
    if rule is None or rule in _NOT_PARTNER_FACING:
        return
    operation["tags"] = [*operation.get("tags", []), PARTNER_TAG]
    note = f"**Partner** (customer-bound caller): {rule.value}."
    described = operation.get("description")
    operation["description"] = f"{described}\n\n{note}" if described else note


def _declared(route: APIRoute) -> set[int]:
    return {int(code) for code in route.responses if str(code).isdigit() and int(code) >= 400}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""The served OpenAPI document: the contract's paths, a named payload in every success
envelope, both security schemes, and the error responses of every route."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..conftest import Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

CONTRACT = {
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/refresh": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/auth/me": {"get"},
    "/api/v1/auth/2fa/setup": {"post"},
    "/api/v1/auth/2fa/enable": {"post"},
    "/api/v1/auth/2fa/disable": {"post"},
    "/api/v1/users": {"post", "get"},
    "/api/v1/users/{user_id}": {"patch"},
    "/api/v1/products": {"post", "get"},
    "/api/v1/products/{sku}": {"get", "patch"},
    "/api/v1/pricing/{sku}": {"get"},
    "/api/v1/pricing/quote": {"post"},
    "/api/v1/pricing/tiers": {"get"},
    "/api/v1/customers/{customer_id}/tier": {"put"},
    "/api/v1/pricing/promotions": {"post", "get"},
}


async def test_openapi_describes_every_auth_user_product_and_pricing_endpoint(
    gateway: Gateway,
) -> None:
    reply = await gateway.client.get("/openapi.json")

    assert reply.status_code == 200
    paths = reply.json()["paths"]
    for path, methods in CONTRACT.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    create = paths["/api/v1/products"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create.get("parameters", []))


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    prefix = "#/components/schemas/"
    if ref:
        assert ref.startswith(prefix), ref
        return dict(doc["components"]["schemas"][ref.removeprefix(prefix)])
    return schema


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in doc["paths"].items()
        if path.startswith("/api/v1") and path != "/api/v1/metrics"
        for method, op in ops.items()
    ]


async def test_every_success_names_its_payload_inside_the_envelope(gateway: Gateway) -> None:
    doc = (await gateway.client.get("/openapi.json")).json()
    operations = _operations(doc)
    assert len(operations) >= 47
    for method, path, op in operations:
        successes = {c: r for c, r in op["responses"].items() if c.startswith("2")}
        assert successes, (method, path)
        for code, response in successes.items():
            if "application/json" not in response["content"]:
                assert set(response["content"]) == {"application/pdf"}, (method, path)
                continue
            schema = response["content"]["application/json"]["schema"]
            envelope_name = schema["$ref"].rsplit("/", 1)[-1]
            assert envelope_name.endswith(("Envelope", "List")), (method, path, envelope_name)
            envelope = _resolve(doc, schema)
            assert set(envelope["required"]) == {"success", "data", "error", "metadata"}
            data = envelope["properties"]["data"]
            named = data.get("$ref") or data.get("items", {}).get("$ref")
            assert named, f"{method} {path} {code}: data is not a named schema: {data}"
            payload = _resolve(doc, data if "$ref" in data else data["items"])
            assert payload.get("properties"), (method, path, named)
    assert "HTTPValidationError" not in json.dumps(doc)
    # Two models of one name are documented module-qualified; generated clients drop them.
    qualified = [n for n in doc["components"]["schemas"] if n.startswith("gateway__")]
    assert not qualified, f"schema names must be unique: {qualified}"


async def test_security_schemes_and_error_responses_are_declared(gateway: Gateway) -> None:
    doc = (await gateway.client.get("/openapi.json")).json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearer"]["description"],
    }
    assert (schemes["cookie"]["in"], schemes["cookie"]["name"]) == ("cookie", "access_token")
    assert (schemes["apiKey"]["in"], schemes["apiKey"]["name"]) == ("header", "X-API-Key")
    error = _resolve(doc, {"$ref": "#/components/schemas/ErrorEnvelope"})
    assert set(error["required"]) == {"success", "data", "error", "metadata"}
    ids = [op["operationId"] for _, _, op in _operations(doc)]
    assert len(ids) == len(set(ids)), "operationIds must be unique (handler names)"
    public = {"/api/v1/health", "/api/v1/ready", "/api/v1/auth/login", "/api/v1/auth/refresh"}
    for method, path, op in _operations(doc):
        failures = {c: r for c, r in op["responses"].items() if c[0] in "45"}
        for code, response in failures.items():
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path, code)
        if path in public:
            assert "security" not in op, (method, path)
            continue
        assert op["security"] == [{"bearer": []}, {"cookie": []}, {"apiKey": []}], (method, path)
        assert {"401", "429"} <= set(failures), (method, path, sorted(failures))


# What a few routes really answer (each code is produced by a test of its own area).
EXPECTED_ERRORS = {
    ("POST", "/api/v1/orders"): {"400", "401", "403", "404", "409", "422", "429", "503", "504"},
    ("GET", "/api/v1/products/{sku}"): {"400", "401", "404", "429", "503", "504"},
    ("POST", "/api/v1/auth/login"): {"400", "401", "429", "503"},
    ("GET", "/api/v1/auth/me"): {"401", "429", "503"},
    ("PATCH", "/api/v1/users/{user_id}"): {"400", "401", "403", "404", "409", "429", "503"},
    ("GET", "/api/v1/ready"): {"503"},
}


async def test_routes_declare_the_errors_they_answer(gateway: Gateway) -> None:
    doc = (await gateway.client.get("/openapi.json")).json()
    for (method, path), expected in EXPECTED_ERRORS.items():
        declared = {c for c in doc["paths"][path][method.lower()]["responses"] if c[0] in "45"}
        assert expected <= declared, (method, path, sorted(expected - declared))
    # A route of the own user only (every role holds self:manage) never answers 403.
    assert "403" not in doc["paths"]["/api/v1/auth/me"]["get"]["responses"]
    # Rate limits do not apply to the probes.
    assert "429" not in doc["paths"]["/api/v1/ready"]["get"]["responses"]


async def test_partner_facing_routes_are_tagged_with_their_ownership_rule(gateway: Gateway) -> None:
    from gateway import ownership

    doc = (await gateway.client.get("/openapi.json")).json()
    tagged = {
        (method.upper(), path)
        for method, path, op in _operations(doc)
        if "partner" in op.get("tags", [])
    }
    expected = {
        key
        for key, rule in ownership.RULES.items()
        if rule not in (ownership.Rule.PUBLIC, ownership.Rule.STAFF_ONLY)
    }
    assert tagged == expected
    orders = doc["paths"]["/api/v1/orders"]["get"]
    assert ownership.Rule.FORCED_FILTER.value in orders["description"]
    keys = doc["paths"]["/api/v1/api-keys"]["post"]
    assert keys["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ApiKeyCreate"
    )

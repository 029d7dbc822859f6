"""Idempotency fingerprints, audit redaction and outcomes."""

from __future__ import annotations

from gateway.audit import REDACTED, outcome_of, redact
from gateway.idempotency import fingerprint


def test_fingerprint_ignores_key_order_but_not_values_or_target() -> None:
    a = fingerprint("POST", "/api/v1/products", {"sku": "A", "cost": "1.00"})
    b = fingerprint("POST", "/api/v1/products", {"cost": "1.00", "sku": "A"})
    c = fingerprint("POST", "/api/v1/products", {"sku": "A", "cost": "1.01"})
    d = fingerprint("POST", "/api/v1/pricing/promotions", {"sku": "A", "cost": "1.00"})

    assert a == b
    assert len({a, c, d}) == 3


def test_redact_hides_secrets_at_any_depth() -> None:
    body = {
        "email": "a@b.ro",
        "password": "p",
        "totp_code": "123456",
        "nested": {"refresh_token": "r", "keep": 1, "list": [{"new_password": "x"}]},
    }

    clean = redact(body)

    assert clean["email"] == "a@b.ro"
    assert clean["password"] == clean["totp_code"] == REDACTED
    assert clean["nested"]["refresh_token"] == REDACTED
    assert clean["nested"]["keep"] == 1
    assert clean["nested"]["list"][0]["new_password"] == REDACTED
    assert body["password"] == "p"  # the original is untouched


def test_outcome_names_by_status() -> None:
    assert [outcome_of(s) for s in (201, 401, 403, 429, 404, 409, 503)] == [
        "success",
        "denied",
        "denied",
        "denied",
        "rejected",
        "rejected",
        "error",
    ]

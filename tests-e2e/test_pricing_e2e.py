"""End to end through the real gateway process and the real pricing service: log in,
create a product, price 60 units for a TIER_2 customer during a SKU promotion (numbers
computed by hand below), role refusal, expired/tampered tokens, refresh-token reuse and
the login rate limit."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio

from cypher_testkit.stack import LocalStack
from gateway.settings import DEV_JWT_SECRET

pytestmark = pytest.mark.asyncio(loop_scope="session")

API = "/api/v1"
CENT = Decimal("0.01")
PASSWORD = "e2e-password-123"


def _admin(stack: LocalStack) -> tuple[str, str]:
    email = getattr(stack, "admin_email", None) or stack.config.admin_email
    password = getattr(stack, "admin_password", None) or stack.config.admin_password
    return email, password


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(f"{API}/auth/login", json={"email": email, "password": password})


async def _bearer(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    reply = await _login(client, email, password)
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['data']['access_token']}"}


async def _new_user(client: httpx.AsyncClient, admin: dict[str, str], role: str) -> str:
    email = f"e2e-{role}-{uuid.uuid4().hex[:8]}@cypher.ro"
    reply = await client.post(
        f"{API}/users",
        json={"email": email, "password": PASSWORD, "full_name": f"E2E {role}", "role": role},
        headers={**admin, "Idempotency-Key": f"user-{email}"},
    )
    assert reply.status_code == 201, reply.text
    return email


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def admin(stack: LocalStack) -> dict[str, str]:
    """One admin login for the whole module: logins are rate limited per address and
    account (5 / 15 min), and the admin account is shared by every e2e test."""
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        return await _bearer(client, *_admin(stack))


async def _customer(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    reply = await client.post(
        f"{API}/customers",
        json={
            "name": "Ion Popescu",
            "company": "Lumina Design SRL",
            "email": f"e2e-{uuid.uuid4().hex[:10]}@lumina.ro",
            "vat_code": "RO14399840",
            "address": {"line1": "Str. Lalelelor 3", "city": "Iasi", "county": "Iasi"},
        },
        headers=admin,
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["data"]["id"])


async def _set_tier_once_known(
    client: httpx.AsyncClient, admin: dict[str, str], customer: str, tier: str
) -> httpx.Response:
    """Pricing learns a new customer from orders' customer.upserted event, a moment after
    the customer is created: until then the override is a 404."""
    deadline = time.monotonic() + 20
    while True:
        reply = await client.put(
            f"{API}/customers/{customer}/tier", json={"tier": tier}, headers=admin
        )
        if reply.status_code != 404 or time.monotonic() > deadline:
            return reply
        await asyncio.sleep(0.1)


def _forge(token: str, **claims: Any) -> str:
    """The same token with changed claims but the original signature (tampering)."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


async def test_price_for_tier2_customer_quantity_60_during_a_sku_promotion(
    stack: LocalStack, admin: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        sku = f"E2E-{uuid.uuid4().hex[:8].upper()}"
        created = await client.post(
            f"{API}/products",
            json={
                "sku": sku,
                "name": "Proiector LED 100W",
                "category": f"e2e-{sku}",
                "unit": "buc",
                "cost": "100.00",
                "margin_pct": "30",
            },
            headers={**admin, "Idempotency-Key": f"create-{sku}"},
        )
        stranger = await client.put(
            f"{API}/customers/{uuid.uuid4()}/tier", json={"tier": "TIER_2"}, headers=admin
        )
        customer = await _customer(client, admin)
        tier = await _set_tier_once_known(client, admin, customer, "TIER_2")
        now = datetime.now(UTC)
        promotion = await client.post(
            f"{API}/pricing/promotions",
            json={
                "name": "E2E promo",
                "sku": sku,
                "discount_pct": "10",
                "starts_at": (now - timedelta(minutes=5)).isoformat(),
                "ends_at": (now + timedelta(days=1)).isoformat(),
            },
            headers={**admin, "Idempotency-Key": f"promo-{sku}"},
        )

        priced = await client.get(
            f"{API}/pricing/{sku}", params={"customer_id": customer, "quantity": 60}, headers=admin
        )

    assert created.status_code == 201, created.text
    assert created.json()["data"]["list_price"] == "130.00"
    # A tier override needs a customer that exists (pricing learns them from orders).
    assert stranger.status_code == 404, stranger.text
    assert stranger.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"
    assert tier.status_code == 200, tier.text
    assert promotion.status_code == 201, promotion.text
    assert priced.status_code == 200, priced.text
    line = priced.json()["data"]
    # By hand: list = 100.00 x 1.30 = 130.00; TIER_2 10 %, 60 units -> volume 5 %,
    # promotion 10 %: 130 x 0.90 x 0.95 x 0.90 = 100.035 -> half-up 100.04. The margin
    # floor (cost x 1.00 = 100.00) does not bite. VAT 21 % (in force since 2025-08-01).
    unit_net = (Decimal("130.00") * Decimal("0.90") * Decimal("0.95") * Decimal("0.90")).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    assert unit_net == Decimal("100.04")
    line_net = unit_net * 60
    line_vat = (line_net * Decimal("0.21")).quantize(CENT, rounding=ROUND_HALF_UP)
    assert line["unit_cost"] == "100.00"
    assert line["list_price"] == "130.00"
    assert line["tier"] == "TIER_2"
    assert Decimal(line["tier_discount_pct"]) == 10
    assert Decimal(line["volume_discount_pct"]) == 5
    assert Decimal(line["promotion_discount_pct"]) == 10
    assert line["unit_net"] == _money(unit_net) == "100.04"
    assert Decimal(line["vat_rate"]) == 21
    assert line["unit_gross"] == _money(unit_net * Decimal("1.21")) == "121.05"
    assert line["line_net"] == _money(line_net) == "6002.40"
    assert line["line_vat"] == _money(line_vat) == "1260.50"
    assert line["line_gross"] == _money(line_net + line_vat) == "7262.90"
    assert line["margin_floor_applied"] is False
    assert Decimal(line["margin_pct"]) == Decimal("0.04")
    assert line["currency"] == "RON"


async def test_wrong_role_is_403(stack: LocalStack, admin: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        email = await _new_user(client, admin, "warehouse")
        warehouse = await _bearer(client, email, PASSWORD)

        refused = await client.post(
            f"{API}/products",
            json={
                "sku": "E2E-NOPE",
                "name": "x",
                "category": "x",
                "unit": "buc",
                "cost": "1.00",
                "margin_pct": "1",
            },
            headers=warehouse,
        )
        allowed = await client.get(f"{API}/products", headers=warehouse)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "FORBIDDEN"
    assert allowed.status_code == 200


async def test_expired_and_tampered_tokens_are_401(
    stack: LocalStack, admin: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        email = await _new_user(client, admin, "user")
        user_token = (await _login(client, email, PASSWORD)).json()["data"]["access_token"]
        claims = jwt.decode(user_token, options={"verify_signature": False})
        now = int(time.time())

        def signed(**over: Any) -> str:
            return jwt.encode({**claims, **over}, DEV_JWT_SECRET, algorithm="HS256")

        # Proves the stack signs with the development key, so "expired" is the only defect.
        fresh = await client.get(
            f"{API}/auth/me", headers={"Authorization": f"Bearer {signed(exp=now + 60)}"}
        )
        if fresh.status_code != 200:
            pytest.skip("the stack does not sign with the development JWT key")
        expired = await client.get(
            f"{API}/auth/me",
            headers={"Authorization": f"Bearer {signed(iat=now - 1000, exp=now - 100)}"},
        )
        tampered = await client.get(
            f"{API}/users", headers={"Authorization": f"Bearer {_forge(user_token, role='admin')}"}
        )
        genuine = await client.get(
            f"{API}/users", headers={"Authorization": f"Bearer {user_token}"}
        )

    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "UNAUTHENTICATED"
    assert tampered.status_code == 401
    assert genuine.status_code == 403  # the real token works, its role just is not admin


async def test_refresh_token_reuse_revokes_the_family(
    stack: LocalStack, admin: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        email = await _new_user(client, admin, "sales")
        first = (await _login(client, email, PASSWORD)).json()["data"]["refresh_token"]
        client.cookies.clear()

        rotated = await client.post(f"{API}/auth/refresh", json={"refresh_token": first})
        second = rotated.json()["data"]["refresh_token"]
        reused = await client.post(f"{API}/auth/refresh", json={"refresh_token": first})
        newer = await client.post(f"{API}/auth/refresh", json={"refresh_token": second})

    assert rotated.status_code == 200, rotated.text
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "REFRESH_TOKEN_REUSED"
    assert newer.status_code == 401  # the newer token of the family stops working too


async def test_sixth_login_in_15_minutes_is_429(stack: LocalStack, admin: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as client:
        email = await _new_user(client, admin, "finance")

        replies = [await _login(client, email, PASSWORD)]
        limit = int(replies[0].headers["RateLimit-Limit"])
        if limit > 20:
            pytest.skip(f"login limit raised to {limit} in this stack")
        while len(replies) <= limit:
            replies.append(await _login(client, email, PASSWORD))

    assert limit == 5
    assert [r.status_code for r in replies[:limit]] == [200] * limit
    sixth = replies[limit]
    assert sixth.status_code == 429
    assert sixth.json()["success"] is False
    assert sixth.json()["error"]["code"] == "RATE_LIMITED"
    assert int(sixth.headers["Retry-After"]) > 0

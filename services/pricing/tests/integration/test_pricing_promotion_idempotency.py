"""CreatePromotion is applied at most once per idempotency key: a repeat (sequential or
two at once) answers with the first promotion and creates no second one; the same key
with another request is refused; no key behaves as before."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import grpc

from cypher.pricing.v1 import pricing_pb2 as pb
from services.pricing.tests.integration.pricing_harness import Running, create, rpc_error, ts


def request(pricing: Running, key: str, pct: str = "10") -> pb.CreatePromotionRequest:
    now = pricing.clock.now()
    return pb.CreatePromotionRequest(
        name="Spring",
        sku="LED-1",
        discount_pct=pct,
        starts_at=ts(now - timedelta(hours=1)),
        ends_at=ts(now + timedelta(days=7)),
        idempotency_key=key,
    )


async def promotions_of(pricing: Running, sku: str) -> list[str]:
    listed = await pricing.stub.ListPromotions(pb.ListPromotionsRequest(sku=sku))
    return [p.id for p in listed.promotions]


async def test_a_promotion_with_one_key_is_created_once(pricing: Running) -> None:
    await create(pricing)
    key = f"user-1:{uuid.uuid4()}"
    same = request(pricing, key)
    racing = await asyncio.gather(*(pricing.stub.CreatePromotion(same) for _ in range(4)))
    again = await pricing.stub.CreatePromotion(same)
    first = racing[0].promotion
    assert {r.promotion.id for r in [*racing, again]} == {first.id}
    assert again.promotion == first
    assert await promotions_of(pricing, "LED-1") == [first.id]
    price = (await pricing.stub.GetPrice(pb.GetPriceRequest(sku="LED-1"))).line
    assert (price.promotion_id, price.promotion_discount_pct) == (first.id, "10")

    reused = await rpc_error(pricing.stub.CreatePromotion(request(pricing, key, pct="20")))
    assert (reused.status, reused.code) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "IDEMPOTENCY_KEY_REUSED",
    )
    assert await promotions_of(pricing, "LED-1") == [first.id]


async def test_without_a_key_every_request_creates(pricing: Running) -> None:
    await create(pricing)
    plain = request(pricing, "")
    await pricing.stub.CreatePromotion(plain)
    await pricing.stub.CreatePromotion(plain)
    assert len(await promotions_of(pricing, "LED-1")) == 2

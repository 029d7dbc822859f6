"""Promotions: percent off one sku or one category during [starts_at, ends_at) UTC."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from pricing.domain.money import HUNDRED, ZERO, decimal_places
from pricing.domain.product import Product
from pricing.errors import PromotionAlreadyEnded, ValidationFailed


@dataclass(frozen=True, slots=True)
class Promotion:
    id: str
    name: str
    sku: str | None
    category: str | None
    discount_pct: Decimal
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    ended_at: datetime | None = None

    def is_active(self, at: datetime) -> bool:
        """Inclusive start, exclusive end."""
        return self.starts_at <= at < self.ends_at

    def applies_to(self, product: Product) -> bool:
        if self.sku is not None:
            return self.sku == product.sku
        return self.category == product.category


@dataclass(frozen=True, slots=True)
class NewPromotion:
    """A promotion as requested; `new_promotion` validates it."""

    name: str
    sku: str | None
    category: str | None
    discount_pct: Decimal
    starts_at: datetime | None
    ends_at: datetime | None
    # Applied at most once per key (empty: no key).
    idempotency_key: str = ""

    def fingerprint(self) -> str:
        """What makes two requests with one idempotency key "the same"."""
        body = {
            "name": self.name,
            "sku": self.sku,
            "category": self.category,
            "discount_pct": str(self.discount_pct),
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def promotion_problems(
    *,
    name: str,
    sku: str | None,
    category: str | None,
    discount_pct: Decimal,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not name.strip():
        problems["name"] = "is required"
    elif len(name) > 200:
        problems["name"] = "at most 200 characters"
    if bool(sku) == bool(category):
        problems["sku"] = "exactly one of sku or category must be set"
    if not ZERO < discount_pct < HUNDRED:
        problems["discount_pct"] = "must be greater than 0 and less than 100"
    elif decimal_places(discount_pct) > 2:
        problems["discount_pct"] = "at most 2 decimal places"
    if starts_at is None:
        problems["starts_at"] = "is required"
    if ends_at is None:
        problems["ends_at"] = "is required"
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        problems["ends_at"] = "must be after starts_at"
    return problems


def new_promotion(
    *,
    id: str,
    name: str,
    sku: str | None,
    category: str | None,
    discount_pct: Decimal,
    starts_at: datetime | None,
    ends_at: datetime | None,
    created_at: datetime,
) -> Promotion:
    problems = promotion_problems(
        name=name,
        sku=sku,
        category=category,
        discount_pct=discount_pct,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    if problems:
        raise ValidationFailed(problems)
    assert starts_at is not None  # checked above
    assert ends_at is not None
    return Promotion(
        id=id,
        name=name.strip(),
        sku=sku or None,
        category=category or None,
        discount_pct=discount_pct,
        starts_at=starts_at,
        ends_at=ends_at,
        created_at=created_at,
    )


def end_promotion(promotion: Promotion, *, now: datetime, at: datetime | None = None) -> Promotion:
    """End at `at` (default now), never later than the planned end nor before it started
    (ending a future promotion cancels it: it then never becomes active)."""
    if promotion.ends_at <= now:
        raise PromotionAlreadyEnded(
            f"promotion {promotion.id} already ended",
            details={"promotion_id": promotion.id, "ended_at": promotion.ends_at.isoformat()},
        )
    end = now if at is None else at
    if end < now:
        raise ValidationFailed({"ends_at": "must not be in the past"})
    end = min(end, promotion.ends_at)
    # A zero-length window [start, start) is never active.
    end = max(end, promotion.starts_at)
    return replace(promotion, ends_at=end, ended_at=now)


def best_promotion(
    promotions: Iterable[Promotion], product: Product, at: datetime
) -> Promotion | None:
    """The single active promotion with the largest discount (promotions never stack).
    Ties go to the earliest start, then the smallest id, so every replica picks the same."""
    best: Promotion | None = None
    for promo in promotions:
        if not promo.is_active(at) or not promo.applies_to(product):
            continue
        if best is None or (
            (-promo.discount_pct, promo.starts_at, promo.id)
            < (-best.discount_pct, best.starts_at, best.id)
        ):
            best = promo
    return best

"""The hot path's read: every input of a quote (products, their promotions, the
customer's override and rolling spend, the rules) in ONE statement, so a 50-line quote
costs one database round trip."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from pricing.domain.product import Product
from pricing.domain.promotion import Promotion
from pricing.domain.rules import RuleSet, Tier, TierRule, VatCategory, VatRate, VolumeRule

_PRODUCT_JSON = """json_build_object(
    'sku', p.sku, 'name', p.name, 'category', p.category, 'unit', p.unit,
    'cost', p.cost::text, 'margin_pct', p.margin_pct::text, 'currency', p.currency,
    'vat_category', p.vat_category, 'supplier_id', p.supplier_id,
    'follows_supplier_price', p.follows_supplier_price, 'description', p.description,
    'active', p.active, 'version', p.version)"""

_PROMOTION_JSON = """json_build_object(
    'id', pr.id::text, 'name', pr.name, 'sku', pr.sku, 'category', pr.category,
    'discount_pct', pr.discount_pct::text, 'starts_at', pr.starts_at, 'ends_at', pr.ends_at,
    'created_at', pr.created_at, 'ended_at', pr.ended_at)"""

_RULES_SQL = """
    (SELECT json_agg(json_build_object('tier', tier, 'min_spend', min_spend::text,
        'discount_pct', discount_pct::text)) FROM tier_rules) AS tier_rules,
    (SELECT json_agg(json_build_object('min_quantity', min_quantity,
        'discount_pct', discount_pct::text)) FROM volume_rules) AS volume_rules,
    (SELECT json_agg(json_build_object('vat_category', vat_category, 'rate_pct', rate_pct::text,
        'valid_from', valid_from, 'valid_to', valid_to)) FROM vat_rates) AS vat_rates"""


@dataclass(frozen=True, slots=True)
class PriceInputs:
    products: dict[str, Product]
    # Per sku: promotions targeting it (by sku or category) that end after the instant used.
    promotions: dict[str, tuple[Promotion, ...]]
    override: Tier | None
    spend: Decimal | None
    rules: RuleSet | None


def _json(value: Any) -> Any:
    """asyncpg (through SQLAlchemy's codec) decodes json already; raw drivers give text."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str | bytes) else value


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _product_from_json(d: dict[str, Any]) -> Product:
    return Product(
        sku=d["sku"],
        name=d["name"],
        category=d["category"],
        unit=d["unit"],
        cost=Decimal(d["cost"]),
        margin_pct=Decimal(d["margin_pct"]),
        currency=d["currency"],
        vat_category=VatCategory(d["vat_category"]),
        supplier_id=d["supplier_id"],
        follows_supplier_price=d["follows_supplier_price"],
        description=d["description"],
        active=d["active"],
        version=int(d["version"]),
    )


def _promotion_from_json(d: dict[str, Any]) -> Promotion:
    starts_at = _ts(d["starts_at"])
    ends_at = _ts(d["ends_at"])
    created_at = _ts(d["created_at"])
    assert starts_at is not None
    assert ends_at is not None
    assert created_at is not None
    return Promotion(
        id=d["id"],
        name=d["name"],
        sku=d["sku"],
        category=d["category"],
        discount_pct=Decimal(d["discount_pct"]),
        starts_at=starts_at,
        ends_at=ends_at,
        created_at=created_at,
        ended_at=_ts(d["ended_at"]),
    )


def _rules_from_json(tiers: Any, volumes: Any, rates: Any) -> RuleSet:
    return RuleSet.of(
        [
            TierRule(Tier(t["tier"]), Decimal(t["min_spend"]), Decimal(t["discount_pct"]))
            for t in _json(tiers)
        ],
        [VolumeRule(int(v["min_quantity"]), Decimal(v["discount_pct"])) for v in _json(volumes)],
        [
            VatRate(
                VatCategory(r["vat_category"]),
                Decimal(r["rate_pct"]),
                date.fromisoformat(r["valid_from"]),
                date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
            )
            for r in _json(rates)
        ],
    )


async def load_price_inputs(
    session: AsyncSession,
    *,
    skus: Sequence[str],
    promotions_ending_after: datetime,
    customer_id: str | None,
    spend_at: datetime,
    spend_window: timedelta,
    with_rules: bool,
) -> PriceInputs:
    """Products, their promotions, the customer's override and rolling spend, and (when
    asked) the rules — in ONE statement, so a 50-line quote costs one round trip.

    Numbers travel as JSON text (`::text`) so they arrive as exact Decimals."""
    parts = [
        f"""(SELECT coalesce(json_agg({_PRODUCT_JSON}), '[]'::json)
             FROM products p WHERE p.sku = ANY(:skus)) AS products""",
        f"""(SELECT coalesce(json_agg({_PROMOTION_JSON}), '[]'::json)
             FROM promotions pr
             WHERE pr.ends_at > :promo_after
               AND (pr.sku = ANY(:skus)
                    OR pr.category IN (SELECT category FROM products WHERE sku = ANY(:skus)))
           ) AS promotions""",
    ]
    params: dict[str, Any] = {"skus": list(skus), "promo_after": promotions_ending_after}
    if customer_id is not None:
        parts.append(
            "(SELECT override_tier FROM customer_tiers WHERE customer_id = :cid) AS override"
        )
        parts.append(
            """(SELECT coalesce(sum(net_total), 0)::text FROM customer_orders
                WHERE customer_id = :cid AND NOT cancelled
                  AND confirmed_at > :spend_from AND confirmed_at <= :spend_at) AS spend"""
        )
        params.update(cid=customer_id, spend_from=spend_at - spend_window, spend_at=spend_at)
    if with_rules:
        parts.append(_RULES_SQL)
    row = (await session.execute(text("SELECT " + ",\n".join(parts)), params)).mappings().one()

    products = {p.sku: p for p in map(_product_from_json, _json(row["products"]))}
    promos = [_promotion_from_json(d) for d in _json(row["promotions"])]
    by_sku: dict[str, tuple[Promotion, ...]] = {}
    for sku, product in products.items():
        by_sku[sku] = tuple(
            p for p in promos if p.sku == sku or (p.sku is None and p.category == product.category)
        )
    override: Tier | None = None
    spend: Decimal | None = None
    if customer_id is not None:
        override = Tier(row["override"]) if row["override"] else None
        spend = Decimal(row["spend"])
    rules = (
        _rules_from_json(row["tier_rules"], row["volume_rules"], row["vat_rates"])
        if with_rules
        else None
    )
    return PriceInputs(products, by_sku, override, spend, rules)

"""The price formula, line by line and for a whole document.

    unit_net = cost × (1 + margin) × (1 − tier) × (1 − volume) × (1 − promo)

rounded half-up to 2 places once, after every discount; never below the margin floor
cost × (1 + floor), which is rounded *up* to the cent so the floor really holds.
Line totals are the rounded unit × quantity; each line's VAT is rounded half-up and
the document VAT is their sum; gross = net + VAT.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from pricing.domain.money import ONE, ZERO, ceil_money, fraction, round_money
from pricing.domain.product import Product
from pricing.domain.promotion import Promotion, best_promotion
from pricing.domain.rules import RuleSet, Tier, TierRule, VatCategory
from pricing.errors import ProductInactive, ProductNotFound, ValidationFailed

MAX_QUANTITY = 1_000_000
MAX_LINES = 500


@dataclass(frozen=True, slots=True)
class PricedLine:
    sku: str
    name: str
    unit: str
    quantity: int
    currency: str
    unit_cost: Decimal
    list_price: Decimal
    tier: Tier
    tier_discount_pct: Decimal
    volume_discount_pct: Decimal
    promotion_discount_pct: Decimal
    promotion_id: str | None
    unit_net: Decimal
    vat_category: VatCategory
    vat_rate_pct: Decimal
    unit_gross: Decimal
    line_net: Decimal
    line_vat: Decimal
    line_gross: Decimal
    margin_pct: Decimal
    margin_floor_applied: bool


@dataclass(frozen=True, slots=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    lines: tuple[PricedLine, ...]
    totals: Totals
    tier: Tier
    currency: str
    pricing_date: date


def quantity_problem(quantity: int) -> str | None:
    if quantity < 1:
        return "must be positive"
    if quantity > MAX_QUANTITY:
        return f"must not exceed {MAX_QUANTITY}"
    return None


def floor_price(cost: Decimal, floor_pct: Decimal) -> Decimal:
    """The lowest unit net allowed, rounded up to the cent so it is never undercut."""
    return ceil_money(cost * (ONE + fraction(floor_pct)))


def margin_pct_of(unit_net: Decimal, cost: Decimal) -> Decimal:
    """(net − cost) / cost in percent, half-up to 2 places; 0 for a zero-cost product."""
    if cost == ZERO:
        return ZERO
    return round_money((unit_net - cost) / cost * 100)


def price_line(
    product: Product,
    quantity: int,
    *,
    tier: TierRule,
    rules: RuleSet,
    promotion: Promotion | None,
    on: date,
    floor_pct: Decimal,
) -> PricedLine:
    """Price `quantity` units of `product` (the caller chose the tier and the promotion)."""
    if not product.active:
        raise ProductInactive(f"product {product.sku} is inactive", details={"sku": product.sku})
    volume_pct = rules.volume_discount_pct(quantity)
    promo_pct = promotion.discount_pct if promotion is not None else ZERO
    raw = (
        product.cost
        * (ONE + fraction(product.margin_pct))
        * (ONE - fraction(tier.discount_pct))
        * (ONE - fraction(volume_pct))
        * (ONE - fraction(promo_pct))
    )
    unit_net = round_money(raw)
    floor_applied = False
    if unit_net < product.cost * (ONE + fraction(floor_pct)):
        unit_net = floor_price(product.cost, floor_pct)
        floor_applied = True
    vat_pct = rules.vat_rate(product.vat_category, on)
    vat = fraction(vat_pct)
    line_net = unit_net * quantity
    line_vat = round_money(line_net * vat)
    return PricedLine(
        sku=product.sku,
        name=product.name,
        unit=product.unit,
        quantity=quantity,
        currency=product.currency,
        unit_cost=product.cost,
        list_price=product.list_price,
        tier=tier.tier,
        tier_discount_pct=tier.discount_pct,
        volume_discount_pct=volume_pct,
        promotion_discount_pct=promo_pct,
        promotion_id=promotion.id if promotion is not None else None,
        unit_net=unit_net,
        vat_category=product.vat_category,
        vat_rate_pct=vat_pct,
        unit_gross=round_money(unit_net * (ONE + vat)),
        line_net=line_net,
        line_vat=line_vat,
        line_gross=line_net + line_vat,
        margin_pct=margin_pct_of(unit_net, product.cost),
        margin_floor_applied=floor_applied,
    )


def totals_of(lines: Iterable[PricedLine]) -> Totals:
    net = ZERO
    vat = ZERO
    for line in lines:
        net += line.line_net
        vat += line.line_vat
    return Totals(net=net, vat=vat, gross=net + vat)


def quote(
    lines: Sequence[tuple[str, int]],
    *,
    products: Mapping[str, Product],
    promotions: Iterable[Promotion],
    tier: Tier,
    rules: RuleSet,
    at: datetime,
    on: date,
    floor_pct: Decimal,
    default_currency: str = "RON",
) -> Quote:
    """Price a document: every line for the same customer tier, promotions active at `at`,
    VAT rates in force on `on`. Lines keep the request order."""
    problems: dict[str, str] = {}
    if not lines:
        problems["lines"] = "at least one line is required"
    elif len(lines) > MAX_LINES:
        problems["lines"] = f"at most {MAX_LINES} lines"
    for i, (sku, qty) in enumerate(lines):
        if not sku:
            problems[f"lines[{i}].sku"] = "is required"
        problem = quantity_problem(qty)
        if problem:
            problems[f"lines[{i}].quantity"] = problem
    if problems:
        raise ValidationFailed(problems)
    missing = [sku for sku, _ in lines if sku not in products]
    if missing:
        raise ProductNotFound(
            f"unknown sku {missing[0]}", details={"sku": missing[0], "skus": missing}
        )
    currencies = sorted({products[sku].currency for sku, _ in lines})
    if len(currencies) > 1:
        raise ValidationFailed(
            {"lines": f"products are priced in different currencies: {currencies}"}
        )
    # Index promotions by target so each line only looks at its own candidates.
    by_sku: dict[str, list[Promotion]] = {}
    by_category: dict[str, list[Promotion]] = {}
    for promo in promotions:
        if promo.sku is not None:
            by_sku.setdefault(promo.sku, []).append(promo)
        elif promo.category is not None:
            by_category.setdefault(promo.category, []).append(promo)
    tier_rule = rules.tier_rule(tier)
    priced = []
    for sku, qty in lines:
        product = products[sku]
        candidates = by_sku.get(sku, []) + by_category.get(product.category, [])
        priced.append(
            price_line(
                product,
                qty,
                tier=tier_rule,
                rules=rules,
                promotion=best_promotion(candidates, product, at) if candidates else None,
                on=on,
                floor_pct=floor_pct,
            )
        )
    return Quote(
        lines=tuple(priced),
        totals=totals_of(priced),
        tier=tier,
        currency=currencies[0] if currencies else default_currency,
        pricing_date=on,
    )


def effective_price(
    product: Product,
    promotions: Iterable[Promotion],
    *,
    at: datetime,
    on: date,
    rules: RuleSet,
    floor_pct: Decimal,
) -> PricedLine:
    """One unit at the base tier with the best promotion active at `at`: the price the shop
    shows. Priced even when the product is inactive, so its events stay meaningful."""
    live = product if product.active else replace(product, active=True)
    return price_line(
        live,
        1,
        tier=rules.tiers[0],
        rules=rules,
        promotion=best_promotion(promotions, live, at),
        on=on,
        floor_pct=floor_pct,
    )

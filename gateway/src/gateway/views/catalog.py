"""Products, prices, quotes, tiers and promotions (pricing service)."""

from __future__ import annotations

from cypher.inventory.v1 import inventory_pb2
from cypher.pricing.v1 import pricing_pb2
from cypher.suppliers.v1 import suppliers_pb2
from gateway.convert import TierName, VatCategoryName, tier_name, time_of, vat_name
from gateway.views.common import Decimal, Out, Time, Totals, totals_of


class Product(Out):
    sku: str
    name: str
    category: str
    unit: str
    description: str
    cost: Decimal
    margin_pct: Decimal
    list_price: Decimal
    currency: str
    vat_category: VatCategoryName | None
    supplier_id: str | None
    follows_supplier_price: bool
    active: bool
    version: int
    created_at: Time | None
    updated_at: Time | None


class PricedLine(Out):
    sku: str
    name: str
    unit: str
    quantity: int
    unit_cost: Decimal
    list_price: Decimal
    tier: TierName | None
    tier_discount_pct: Decimal
    volume_discount_pct: Decimal
    promotion_discount_pct: Decimal
    promotion_id: str | None
    unit_net: Decimal
    vat_category: VatCategoryName | None
    vat_rate: Decimal
    unit_gross: Decimal
    line_net: Decimal
    line_vat: Decimal
    line_gross: Decimal
    margin_pct: Decimal
    margin_floor_applied: bool
    currency: str
    pricing_date: str | None


class WarehouseAvailability(Out):
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int


class ProductStock(Out):
    warehouses: list[WarehouseAvailability]
    total_on_hand: int
    total_reserved: int
    total_available: int


class SupplierOffer(Out):
    supplier_id: str
    supplier_name: str
    supplier_sku: str
    price: Decimal
    currency: str
    in_stock: bool
    stock_quantity: int | None


class ProductDetail(Product):
    """The GET /products/{sku} aggregate; each optional part may be null (see
    `metadata.degraded`)."""

    price: PricedLine | None
    stock: ProductStock | None
    best_supplier_offer: SupplierOffer | None


class Quote(Out):
    lines: list[PricedLine]
    totals: Totals
    tier: TierName | None
    pricing_date: str | None
    currency: str


class TierRule(Out):
    tier: TierName | None
    min_spend: Decimal
    currency: str
    discount_pct: Decimal


class CustomerTier(Out):
    customer_id: str
    tier: TierName | None
    computed_tier: TierName | None
    override_tier: TierName | None
    overridden: bool
    monthly_spend: Decimal
    currency: str
    discount_pct: Decimal
    version: int
    updated_at: Time | None


class Promotion(Out):
    id: str
    name: str
    sku: str | None
    category: str | None
    discount_pct: Decimal
    starts_at: Time | None
    ends_at: Time | None
    active: bool
    created_at: Time | None
    ended_at: Time | None


def product_fields(p: pricing_pb2.Product) -> dict[str, object]:
    return {
        "sku": p.sku,
        "name": p.name,
        "category": p.category,
        "unit": p.unit,
        "description": p.description,
        "cost": p.cost.amount,
        "margin_pct": p.margin_pct,
        "list_price": p.list_price.amount,
        "currency": p.currency or p.cost.currency,
        "vat_category": vat_name(p.vat_category),
        "supplier_id": p.supplier_id or None,
        "follows_supplier_price": p.follows_supplier_price,
        "active": p.active,
        "version": p.version,
        "created_at": time_of(p, "created_at"),
        "updated_at": time_of(p, "updated_at"),
    }


def product_view(p: pricing_pb2.Product) -> Product:
    return Product.model_validate(product_fields(p))


def priced_line_view(line: pricing_pb2.PricedLine) -> PricedLine:
    return PricedLine(
        sku=line.sku,
        name=line.name,
        unit=line.unit,
        quantity=line.quantity,
        unit_cost=line.unit_cost.amount,
        list_price=line.list_price.amount,
        tier=tier_name(line.tier),
        tier_discount_pct=line.tier_discount_pct,
        volume_discount_pct=line.volume_discount_pct,
        promotion_discount_pct=line.promotion_discount_pct,
        promotion_id=line.promotion_id or None,
        unit_net=line.unit_net.amount,
        vat_category=vat_name(line.vat_category),
        vat_rate=line.vat_rate,
        unit_gross=line.unit_gross.amount,
        line_net=line.line_net.amount,
        line_vat=line.line_vat.amount,
        line_gross=line.line_gross.amount,
        margin_pct=line.margin_pct,
        margin_floor_applied=line.margin_floor_applied,
        currency=line.currency or line.unit_net.currency,
        pricing_date=line.pricing_date or None,
    )


def product_stock_view(item: inventory_pb2.SkuAvailability) -> ProductStock:
    return ProductStock(
        warehouses=[
            WarehouseAvailability(
                warehouse=w.warehouse,
                on_hand=w.on_hand,
                reserved=w.reserved,
                available=w.available,
                low_stock_threshold=w.low_stock_threshold,
            )
            for w in item.warehouses
        ],
        total_on_hand=item.total_on_hand,
        total_reserved=item.total_reserved,
        total_available=item.total_available,
    )


def offer_view(offer: suppliers_pb2.Offer) -> SupplierOffer:
    return SupplierOffer(
        supplier_id=offer.supplier_id,
        supplier_name=offer.supplier_name,
        supplier_sku=offer.supplier_sku,
        price=offer.price.amount,
        currency=offer.price.currency,
        in_stock=offer.in_stock,
        stock_quantity=offer.stock_quantity if offer.HasField("stock_quantity") else None,
    )


def quote_view(reply: pricing_pb2.QuoteLinesResponse) -> Quote:
    return Quote(
        lines=[priced_line_view(line) for line in reply.lines],
        totals=totals_of(reply.totals),
        tier=tier_name(reply.tier),
        pricing_date=reply.pricing_date or None,
        currency=reply.currency or reply.totals.net.currency,
    )


def tier_rule_view(rule: pricing_pb2.TierRule) -> TierRule:
    return TierRule(
        tier=tier_name(rule.tier),
        min_spend=rule.min_spend.amount,
        currency=rule.min_spend.currency,
        discount_pct=rule.discount_pct,
    )


def customer_tier_view(ct: pricing_pb2.CustomerTier) -> CustomerTier:
    return CustomerTier(
        customer_id=ct.customer_id,
        tier=tier_name(ct.tier),
        computed_tier=tier_name(ct.computed_tier),
        override_tier=tier_name(ct.override_tier),
        overridden=ct.overridden,
        monthly_spend=ct.monthly_spend.amount,
        currency=ct.monthly_spend.currency,
        discount_pct=ct.discount_pct,
        version=ct.version,
        updated_at=time_of(ct, "updated_at"),
    )


def promotion_view(p: pricing_pb2.Promotion) -> Promotion:
    return Promotion(
        id=p.id,
        name=p.name,
        sku=p.sku or None,
        category=p.category or None,
        discount_pct=p.discount_pct,
        starts_at=time_of(p, "starts_at"),
        ends_at=time_of(p, "ends_at"),
        active=p.active,
        created_at=time_of(p, "created_at"),
        ended_at=time_of(p, "ended_at"),
    )

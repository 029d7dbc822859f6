"""The product aggregate: identity, cost and margin, and the rules for changing them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from pricing.domain.money import ONE, decimal_places, fraction, round_money
from pricing.domain.rules import VatCategory
from pricing.errors import ValidationFailed

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
MAX_COST = Decimal("1000000000")
MAX_MARGIN_PCT = Decimal(1000)
COST_PLACES = 4
PCT_PLACES = 4


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    category: str
    unit: str
    cost: Decimal
    margin_pct: Decimal
    currency: str
    vat_category: VatCategory
    supplier_id: str | None = None
    follows_supplier_price: bool = False
    description: str = ""
    active: bool = True
    version: int = 1

    @property
    def list_price(self) -> Decimal:
        """cost × (1 + margin), half-up to 2 places: the price before any discount."""
        return round_money(self.cost * (ONE + fraction(self.margin_pct)))


@dataclass(frozen=True, slots=True)
class ProductChanges:
    """A partial update: None means "leave as is"; supplier_id "" means "no supplier"."""

    name: str | None = None
    category: str | None = None
    unit: str | None = None
    cost: Decimal | None = None
    margin_pct: Decimal | None = None
    vat_category: VatCategory | None = None
    supplier_id: str | None = None
    follows_supplier_price: bool | None = None
    description: str | None = None
    active: bool | None = None


def _text_problem(value: str, max_len: int) -> str | None:
    if not value.strip():
        return "is required"
    if len(value) > max_len:
        return f"at most {max_len} characters"
    return None


def product_problems(product: Product) -> dict[str, str]:
    """Every invalid field of a product, by field name (empty when valid)."""
    problems: dict[str, str] = {}
    if not SKU_PATTERN.match(product.sku):
        problems["sku"] = "1-64 characters: letters, digits, '.', '_', '/', '-'"
    for field, value, max_len in (
        ("name", product.name, 200),
        ("category", product.category, 100),
        ("unit", product.unit, 20),
    ):
        problem = _text_problem(value, max_len)
        if problem:
            problems[field] = problem
    if len(product.description) > 2000:
        problems["description"] = "at most 2000 characters"
    if product.cost < 0:
        problems["cost"] = "must not be negative"
    elif product.cost > MAX_COST:
        problems["cost"] = f"must not exceed {MAX_COST}"
    elif decimal_places(product.cost) > COST_PLACES:
        problems["cost"] = f"at most {COST_PLACES} decimal places"
    if not Decimal(0) <= product.margin_pct <= MAX_MARGIN_PCT:
        problems["margin_pct"] = f"must be between 0 and {MAX_MARGIN_PCT}"
    elif decimal_places(product.margin_pct) > PCT_PLACES:
        problems["margin_pct"] = f"at most {PCT_PLACES} decimal places"
    if not CURRENCY_PATTERN.match(product.currency):
        problems["currency"] = "must be an ISO 4217 code such as RON"
    if product.supplier_id is not None and len(product.supplier_id) > 100:
        problems["supplier_id"] = "at most 100 characters"
    if product.follows_supplier_price and not product.supplier_id:
        problems["follows_supplier_price"] = "requires supplier_id"
    return problems


def validated(product: Product) -> Product:
    problems = product_problems(product)
    if problems:
        raise ValidationFailed(problems)
    return product


def apply_changes(product: Product, changes: ProductChanges) -> Product:
    """The product after `changes`, validated, with its version bumped when anything changed."""
    supplier_id = product.supplier_id
    if changes.supplier_id is not None:
        supplier_id = changes.supplier_id or None
    follows = product.follows_supplier_price
    if changes.follows_supplier_price is not None:
        follows = changes.follows_supplier_price
    elif changes.supplier_id == "":
        follows = False  # no supplier left to follow
    changed = replace(
        product,
        name=product.name if changes.name is None else changes.name,
        category=product.category if changes.category is None else changes.category,
        unit=product.unit if changes.unit is None else changes.unit,
        cost=product.cost if changes.cost is None else changes.cost,
        margin_pct=product.margin_pct if changes.margin_pct is None else changes.margin_pct,
        vat_category=product.vat_category if changes.vat_category is None else changes.vat_category,
        supplier_id=supplier_id,
        follows_supplier_price=follows,
        description=product.description if changes.description is None else changes.description,
        active=product.active if changes.active is None else changes.active,
    )
    validated(changed)
    if changed == product:
        return product
    return replace(changed, version=product.version + 1)

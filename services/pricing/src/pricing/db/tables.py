"""SQLModel tables of the pricing database (the schema itself is in migrations/)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Date, DateTime, Numeric, String
from sqlmodel import Field, SQLModel


def _ts(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


def _num(precision: int, scale: int) -> Column[Decimal]:
    return Column(Numeric(precision, scale), nullable=False)


class ProductRow(SQLModel, table=True):
    __tablename__ = "products"

    sku: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    category: str = Field(max_length=100, index=True)
    unit: str = Field(max_length=20)
    cost: Decimal = Field(sa_column=_num(18, 4))
    margin_pct: Decimal = Field(sa_column=_num(9, 4))
    currency: str = Field(max_length=3)
    vat_category: str = Field(max_length=20)
    supplier_id: str | None = Field(default=None, max_length=100, index=True)
    follows_supplier_price: bool = False
    description: str = ""
    active: bool = True
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())


class PriceHistoryRow(SQLModel, table=True):
    __tablename__ = "price_history"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    sku: str = Field(max_length=64, index=True)
    old_cost: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 4)))
    new_cost: Decimal = Field(sa_column=_num(18, 4))
    old_list_price: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2)))
    new_list_price: Decimal = Field(sa_column=_num(18, 2))
    old_margin_pct: Decimal | None = Field(default=None, sa_column=Column(Numeric(9, 4)))
    new_margin_pct: Decimal = Field(sa_column=_num(9, 4))
    currency: str = Field(max_length=3)
    reason: str = Field(max_length=40)
    reason_detail: str = ""
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    changed_at: datetime = Field(sa_column=_ts())
    actor: str = Field(max_length=200)


class PromotionRow(SQLModel, table=True):
    __tablename__ = "promotions"

    id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    sku: str | None = Field(default=None, max_length=64, index=True)
    category: str | None = Field(default=None, max_length=100, index=True)
    discount_pct: Decimal = Field(sa_column=_num(5, 2))
    starts_at: datetime = Field(sa_column=_ts())
    ends_at: datetime = Field(sa_column=_ts(index=True))
    created_at: datetime = Field(sa_column=_ts())
    ended_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # The idempotency key it was created under (unique) and what that request asked.
    request_key: str | None = Field(
        default=None, sa_column=Column(String(300), nullable=True, unique=True)
    )
    request_hash: str | None = Field(default=None, max_length=64)


class PromotionBoundaryRow(SQLModel, table=True):
    """A start or end instant of a promotion whose price.updated events are still due.

    The scheduler claims due rows with FOR UPDATE SKIP LOCKED and sets `emitted_at`
    in the same transaction as the events, so each boundary is announced once."""

    __tablename__ = "promotion_boundaries"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    promotion_id: uuid.UUID = Field(foreign_key="promotions.id")
    kind: str = Field(max_length=10)  # START | END
    due_at: datetime = Field(sa_column=_ts())
    emitted_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class TierRuleRow(SQLModel, table=True):
    __tablename__ = "tier_rules"

    tier: str = Field(primary_key=True, max_length=20)
    min_spend: Decimal = Field(sa_column=_num(18, 2))
    discount_pct: Decimal = Field(sa_column=_num(5, 2))


class VolumeRuleRow(SQLModel, table=True):
    __tablename__ = "volume_rules"

    min_quantity: int = Field(primary_key=True)
    discount_pct: Decimal = Field(sa_column=_num(5, 2))


class VatRateRow(SQLModel, table=True):
    __tablename__ = "vat_rates"

    id: int | None = Field(default=None, primary_key=True)
    vat_category: str = Field(max_length=20)
    rate_pct: Decimal = Field(sa_column=_num(5, 2))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class CustomerTierRow(SQLModel, table=True):
    __tablename__ = "customer_tiers"

    customer_id: str = Field(primary_key=True, max_length=64)
    computed_tier: str = Field(max_length=20)
    override_tier: str | None = Field(default=None, max_length=20)
    monthly_spend: Decimal = Field(sa_column=_num(18, 2))
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(sa_column=_ts())


class CustomerOrderRow(SQLModel, table=True):
    """One order's contribution to its customer's rolling spend (merged from events)."""

    __tablename__ = "customer_orders"

    order_id: str = Field(primary_key=True, max_length=64)
    customer_id: str = Field(max_length=64, index=True)
    net_total: Decimal = Field(sa_column=_num(18, 2))
    currency: str = Field(max_length=3)
    confirmed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    cancelled: bool = False
    updated_at: datetime = Field(sa_column=_ts())


class KnownCustomerRow(SQLModel, table=True):
    """A customer orders told pricing about; `version` is the customer's aggregate version
    (0 when it was learned from an order event, which carries none)."""

    __tablename__ = "known_customers"

    customer_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(sa_column=_ts())

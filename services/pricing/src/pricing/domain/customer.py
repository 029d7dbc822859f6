"""Customer tiers: rolling 30-day spend of confirmed, not cancelled orders, or an override.

Order events can arrive twice or out of order (a cancel before its confirm); each order's
contribution is therefore a small record merged from whatever arrived, and a cancelled
order stays cancelled whatever comes after.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from pricing.domain.money import ZERO
from pricing.domain.rules import RuleSet, Tier


@dataclass(frozen=True, slots=True)
class OrderSpend:
    order_id: str
    customer_id: str
    net_total: Decimal
    confirmed_at: datetime | None
    cancelled: bool

    def counts_at(self, now: datetime, window: timedelta) -> bool:
        """In the rolling window (now − window, now] and not cancelled."""
        return (
            not self.cancelled
            and self.confirmed_at is not None
            and now - window < self.confirmed_at <= now
        )


def order_confirmed(
    existing: OrderSpend | None,
    *,
    order_id: str,
    customer_id: str,
    net_total: Decimal,
    confirmed_at: datetime,
) -> OrderSpend:
    if existing is None:
        return OrderSpend(order_id, customer_id, net_total, confirmed_at, cancelled=False)
    # A cancel that overtook its confirm keeps the order out of the spend.
    return replace(existing, net_total=net_total, confirmed_at=confirmed_at)


def order_cancelled(
    existing: OrderSpend | None, *, order_id: str, customer_id: str, net_total: Decimal
) -> OrderSpend:
    if existing is None:
        return OrderSpend(order_id, customer_id, net_total, None, cancelled=True)
    return replace(existing, cancelled=True)


def rolling_spend(orders: Iterable[OrderSpend], now: datetime, window: timedelta) -> Decimal:
    return sum((o.net_total for o in orders if o.counts_at(now, window)), ZERO)


@dataclass(frozen=True, slots=True)
class CustomerTier:
    customer_id: str
    computed: Tier
    override: Tier | None
    spend: Decimal
    version: int = 0

    @property
    def effective(self) -> Tier:
        return self.override if self.override is not None else self.computed

    @property
    def overridden(self) -> bool:
        return self.override is not None


def unseen_customer(customer_id: str, rules: RuleSet) -> CustomerTier:
    """A customer pricing has never heard of: base tier, no spend."""
    return CustomerTier(customer_id, rules.tiers[0].tier, None, ZERO, 0)


def with_spend(state: CustomerTier, spend: Decimal, rules: RuleSet) -> CustomerTier:
    """The state after a spend recompute; version bumps only when something changed."""
    computed = rules.tier_for_spend(spend).tier
    if computed == state.computed and spend == state.spend:
        return state
    return replace(state, computed=computed, spend=spend, version=state.version + 1)


def with_override(state: CustomerTier, override: Tier | None) -> CustomerTier:
    if override == state.override:
        return state
    return replace(state, override=override, version=state.version + 1)


@dataclass(frozen=True, slots=True)
class TierChanged:
    """A customer's effective tier moved (announced as customer.tier_changed); the spend
    is in `currency`."""

    before: CustomerTier
    after: CustomerTier
    currency: str
    reason: str
    at: datetime


def tier_change(
    before: CustomerTier, after: CustomerTier, *, currency: str, reason: str, at: datetime
) -> TierChanged | None:
    """The change to announce, or None when the effective tier stayed the same."""
    if after.effective == before.effective:
        return None
    return TierChanged(before, after, currency, reason, at)

"""Rolling spend and tiers: window edges, replays and out-of-order order events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pricing.domain.customer import (
    order_cancelled,
    order_confirmed,
    rolling_spend,
    unseen_customer,
    with_override,
    with_spend,
)
from pricing.domain.defaults import default_rules
from pricing.domain.rules import Tier

RULES = default_rules()
NOW = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW = timedelta(days=30)


def test_cancel_before_confirm_keeps_the_order_out_of_the_spend() -> None:
    cancelled = order_cancelled(None, order_id="o1", customer_id="c", net_total=Decimal(9000))

    confirmed = order_confirmed(
        cancelled, order_id="o1", customer_id="c", net_total=Decimal(9000), confirmed_at=NOW
    )

    assert confirmed.cancelled
    assert rolling_spend([confirmed], NOW, WINDOW) == 0


def test_confirm_then_cancel_removes_the_order_from_the_spend() -> None:
    confirmed = order_confirmed(
        None, order_id="o1", customer_id="c", net_total=Decimal(9000), confirmed_at=NOW
    )
    assert rolling_spend([confirmed], NOW, WINDOW) == Decimal(9000)

    cancelled = order_cancelled(confirmed, order_id="o1", customer_id="c", net_total=Decimal(0))

    assert rolling_spend([cancelled], NOW, WINDOW) == 0


def test_replayed_confirm_changes_nothing() -> None:
    once = order_confirmed(
        None, order_id="o1", customer_id="c", net_total=Decimal(100), confirmed_at=NOW
    )
    twice = order_confirmed(
        once, order_id="o1", customer_id="c", net_total=Decimal(100), confirmed_at=NOW
    )

    assert once == twice


def test_spend_window_is_the_last_30_days() -> None:
    def order(age: timedelta) -> object:
        return order_confirmed(
            None, order_id=str(age), customer_id="c", net_total=Decimal(1), confirmed_at=NOW - age
        )

    orders = [
        order(timedelta(0)),
        order(timedelta(days=30) - timedelta(microseconds=1)),
        order(timedelta(days=30)),  # exactly 30 days old: out
        order(timedelta(days=31)),
        order(-timedelta(seconds=1)),  # in the future: not yet
    ]

    assert rolling_spend(orders, NOW, WINDOW) == Decimal(2)  # type: ignore[arg-type]


def test_tier_follows_spend_and_version_bumps_on_change_only() -> None:
    state = unseen_customer("c", RULES)
    assert state.effective == Tier.STANDARD

    up = with_spend(state, Decimal("5000.01"), RULES)
    assert up.effective == Tier.TIER_1
    assert up.version == 1
    assert with_spend(up, Decimal("5000.01"), RULES) is up


def test_override_wins_over_spend_and_clearing_it_restores_the_computed_tier() -> None:
    state = with_spend(unseen_customer("c", RULES), Decimal(20000), RULES)

    overridden = with_override(state, Tier.TIER_3)
    assert overridden.effective == Tier.TIER_3
    assert overridden.overridden

    cleared = with_override(overridden, None)
    assert cleared.effective == Tier.TIER_2
    assert not cleared.overridden

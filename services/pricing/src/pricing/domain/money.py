"""Decimal money and percent arithmetic: the documented rounding points."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
ONE = Decimal(1)


def round_money(amount: Decimal) -> Decimal:
    """Half-up to 2 decimals: the only rounding of prices (BUSINESS_RULES.md)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def ceil_money(amount: Decimal) -> Decimal:
    """Up to the next cent: a floor price rounded half-up could land below the floor."""
    return amount.quantize(CENT, rounding=ROUND_CEILING)


def fraction(pct: Decimal) -> Decimal:
    """5 (percent) → 0.05."""
    return pct / HUNDRED


def decimal_places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0

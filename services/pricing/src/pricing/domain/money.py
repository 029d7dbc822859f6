"""Decimal money and percent helpers: the documented rounding points and input parsing."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from pricing.domain.errors import InvalidInput

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


def parse_decimal(text: str, field: str, *, max_places: int = 4) -> Decimal:
    """A finite decimal from wire text, or InvalidInput naming `field`."""
    raw = text.strip()
    if not raw:
        raise InvalidInput({field: "is required"})
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput({field: f"not a decimal number: {text!r}"}) from None
    if not value.is_finite():
        raise InvalidInput({field: "must be a finite number"})
    if decimal_places(value) > max_places:
        raise InvalidInput({field: f"at most {max_places} decimal places"})
    return value


def money_text(amount: Decimal) -> str:
    """Wire form of an amount: 2 decimals ("12.50"), more only when significant (a cost
    of "10.1234"); NUMERIC(18,4) columns give "10.5000", which leaves as "10.50".

    String work rather than Decimal.as_tuple()/normalize(): this runs ~10 times per
    priced line and was the top entry of the QuoteLines profile."""
    text = format(amount, "f")
    dot = text.find(".")
    if dot < 0:
        return text + ".00"
    places = len(text) - dot - 1
    if places == 2:
        return text
    if places < 2:
        return text + "0"
    stripped = text.rstrip("0")
    return stripped if len(stripped) - dot - 1 >= 2 else text[: dot + 3]


def pct_text(pct: Decimal) -> str:
    """Wire form of a percentage without trailing zeros ("5", "2.5", "19")."""
    text = format(pct, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text

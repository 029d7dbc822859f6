"""What a feed row becomes: a checked `FeedItem` or a `RowError`. The rules that keep a
wrong price out of the books live here, the same for every format: a price must be a
plain positive decimal within bounds, a sku a short printable code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_SKU = 100
MAX_NAME = 300
MAX_URL = 1000
MAX_STOCK = 10_000_000
# Thousands separators and currency marks are tolerated around the number itself.
_NUMBER = re.compile(r"^\d{1,12}(\.\d{1,4})?$")
_GROUPED_DOT = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_GROUPED_COMMA = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_NOISE = re.compile(r"(?i)\s|lei|ron|eur|€|\$|\u00a0")
_SKU = re.compile(r"^[\w.\-/+#]{1,100}$")
_YES = frozenset({"1", "true", "yes", "da", "in stock", "instock", "in stoc", "available", "y"})
_NO = frozenset({"0", "false", "no", "nu", "out of stock", "outofstock", "stoc epuizat", "n"})


class RowRejected(Exception):
    """One feed row cannot be used; the message says which field and why."""


@dataclass(frozen=True)
class PriceBounds:
    minimum: Decimal = Decimal("0.01")
    maximum: Decimal = Decimal("1000000")


@dataclass(frozen=True)
class FeedItem:
    supplier_sku: str
    name: str
    price: Decimal
    in_stock: bool
    stock_quantity: int | None
    url: str


@dataclass(frozen=True)
class RowError:
    where: str  # "page 2 row 14", "row 7"
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def parse_price(
    raw: str | float | int | None, *, decimal_comma: bool, bounds: PriceBounds
) -> Decimal:
    if raw is None or isinstance(raw, bool):
        raise RowRejected("price: missing")
    if isinstance(raw, float | int):
        raw = repr(raw) if isinstance(raw, float) else str(raw)
    text = _NOISE.sub("", raw)
    if text.startswith("-"):
        raise RowRejected(f"price: negative ({raw.strip()[:40]!r})")
    if decimal_comma:
        if _GROUPED_DOT.match(text):
            text = text.replace(".", "")
        text = text.replace(",", ".")
    elif _GROUPED_COMMA.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise RowRejected(f"price: not a price ({raw.strip()[:40]!r})")
    try:
        price = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise RowRejected(f"price: not a price ({raw[:40]!r})") from None
    if price < bounds.minimum:
        raise RowRejected(f"price: {price} is below {bounds.minimum}")
    if price > bounds.maximum:
        raise RowRejected(f"price: {price} is above {bounds.maximum}")
    return price


def parse_stock(raw: str | float | int | None) -> int | None:
    """Units in stock; None when the feed does not say."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise RowRejected("stock: not a quantity")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise RowRejected(f"stock: not a whole number ({raw})")
        raw = int(raw)
    text = str(raw).strip()
    if not text.lstrip("-").isdigit() or len(text) > 12:
        raise RowRejected(f"stock: not a quantity ({text[:40]!r})")
    value = int(text)
    if value < 0 or value > MAX_STOCK:
        raise RowRejected(f"stock: {value} is out of range")
    return value


def parse_flag(raw: str | bool | int | None) -> bool | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise RowRejected(f"in_stock: not a yes/no value ({text[:40]!r})")


def make_item(
    *,
    sku: str | float | int | None,
    price: str | float | int | None,
    name: str | None = None,
    stock: str | float | int | None = None,
    in_stock: str | bool | int | None = None,
    url: str | None = None,
    decimal_comma: bool,
    bounds: PriceBounds,
) -> FeedItem:
    """A checked item from the raw values of one row, or RowRejected."""
    code = "" if sku is None or isinstance(sku, bool) else str(sku).strip()
    if not code:
        raise RowRejected("sku: missing")
    if not _SKU.match(code):
        raise RowRejected(f"sku: not a product code ({code[:40]!r})")
    value = parse_price(price, decimal_comma=decimal_comma, bounds=bounds)
    quantity = parse_stock(stock)
    flag = parse_flag(in_stock)
    # A quantity says more than a flag; no information at all means listed = available.
    available = quantity > 0 if quantity is not None else (True if flag is None else flag)
    return FeedItem(
        supplier_sku=code,
        name=" ".join((name or "").split())[:MAX_NAME],
        price=value,
        in_stock=available,
        stock_quantity=quantity,
        url=(url or "").strip()[:MAX_URL],
    )

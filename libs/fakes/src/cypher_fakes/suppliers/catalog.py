"""What each fake supplier sells: deterministic LED lighting items, the same on every
start. The first items of each supplier are the demo catalogue's products under the
supplier's own codes (mappable); the rest are products CYPHER does not carry."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from decimal import Decimal

CENT = Decimal("0.01")

# Our demo products (scripts/seed_demo.py) and a typical purchase price of each.
DEMO_PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("LED-PANEL-60", "Panou LED 60x60 40W 4000K", "82.50"),
    ("LED-BULB-E27", "Bec LED E27 10W 2700K", "6.40"),
    ("LED-STRIP-5M", "Bandă LED 5m 14.4W/m IP65", "48.00"),
    ("LED-FLOOD-100", "Proiector LED 100W IP66", "145.00"),
    ("LED-TRACK-30", "Spot șină LED 30W negru", "97.20"),
)


@dataclass(frozen=True)
class SupplierDef:
    key: str  # URL segment
    name: str
    sku_format: str  # str.format with n
    size: int  # items in the seed catalogue
    currency: str
    mapped: int  # how many demo products this supplier also sells


SUPPLIERS: dict[str, SupplierDef] = {
    s.key: s
    for s in (
        SupplierDef("aca", "Aca Lighting", "ACA-{n:05d}", 48, "RON", 5),
        SupplierDef("braytron", "Braytron", "BR-{n:04d}", 55, "RON", 4),
        SupplierDef("masterled", "Masterled", "ML{n:06d}", 36, "RON", 5),
        SupplierDef("fsl", "FSL", "FSL.{n:05d}", 42, "RON", 3),
        SupplierDef("arelux", "Arelux", "ARX-{n:04d}", 60, "EUR", 4),
    )
}

# (name pattern, price range in RON): each pattern is filled from the choices below.
FAMILIES: tuple[tuple[str, tuple[int, int]], ...] = (
    ("Bec LED {socket} {w_bulb}W {cct}", (4, 25)),
    ("Panou LED {panel} {cct}", (45, 180)),
    ("Bandă LED 5m {volt} {wpm}W/m {ip}", (25, 160)),
    ("Proiector LED {w_flood}W IP66 {cct}", (35, 420)),
    ("Tub LED T8 {tube} {cct}", (8, 40)),
    ("Spot șină LED {w_track}W {colour}", (55, 190)),
    ("Corp stradal LED {w_street}W IP66", (220, 1450)),
    ("Sursă alimentare LED 12V {w_psu}W IP20", (30, 210)),
    ("Plafonieră LED {w_ceiling}W rotundă {cct}", (25, 130)),
)
CHOICES: dict[str, tuple[str, ...]] = {
    "socket": ("E27", "E14", "GU10"),
    "w_bulb": ("5", "7", "9", "10", "12", "15"),
    "cct": ("2700K", "3000K", "4000K", "6500K"),
    "panel": ("60x60 40W", "30x120 40W", "60x60 36W", "rotund 18W", "pătrat 24W"),
    "volt": ("12V", "24V"),
    "wpm": ("4.8", "9.6", "14.4"),
    "ip": ("IP20", "IP65"),
    "w_flood": ("20", "30", "50", "100", "150", "200"),
    "tube": ("60cm 9W", "120cm 18W", "150cm 24W"),
    "w_track": ("20", "30", "40"),
    "colour": ("alb", "negru"),
    "w_street": ("50", "100", "150"),
    "w_psu": ("60", "100", "150"),
    "w_ceiling": ("12", "18", "24"),
}
EUR_RATE = Decimal("4.97")


@dataclass
class Item:
    supplier_sku: str
    name: str
    price: Decimal  # the supplier's net purchase price, in `currency`
    stock: int
    currency: str
    our_sku: str | None = None  # the demo product this item is, when it is one
    updated_at: float = 0.0

    def public(self) -> dict[str, object]:
        return {
            "supplier_sku": self.supplier_sku,
            "name": self.name,
            "price": str(self.price),
            "stock": self.stock,
            "currency": self.currency,
            "our_sku": self.our_sku,
        }


def _in_currency(ron: Decimal, currency: str) -> Decimal:
    value = ron / EUR_RATE if currency == "EUR" else ron
    return value.quantize(CENT)


def generate(supplier: SupplierDef, count: int, *, with_demo: bool = True) -> list[Item]:
    """`count` items, the same ones every time for the same supplier and count."""
    rng = random.Random(f"{supplier.key}:{count}")
    now = time.time()
    items: list[Item] = []
    seen: set[str] = set()
    if with_demo:
        for i, (our_sku, name, cost) in enumerate(DEMO_PRODUCTS[: min(supplier.mapped, count)]):
            # Each supplier quotes the demo products a little off our cost.
            price = Decimal(cost) * Decimal(rng.randint(90, 110)) / 100
            items.append(
                Item(
                    supplier.sku_format.format(n=1 + i),
                    name,
                    _in_currency(price, supplier.currency),
                    rng.randint(0, 400),
                    supplier.currency,
                    our_sku,
                    now,
                )
            )
            seen.add(name)
    n = len(items)
    while len(items) < count:
        n += 1
        pattern, (low, high) = FAMILIES[rng.randrange(len(FAMILIES))]
        fields = {k: rng.choice(v) for k, v in CHOICES.items()}
        name = pattern.format(**fields)
        if name in seen and count <= 500:
            continue  # small catalogues list each product once; a large feed may repeat
        seen.add(name)
        ron = Decimal(rng.randint(low * 100, high * 100)) / 100
        stock = 0 if rng.random() < 0.15 else rng.randint(1, 900)
        items.append(
            Item(
                supplier.sku_format.format(n=n),
                name,
                _in_currency(ron, supplier.currency),
                stock,
                supplier.currency,
                None,
                now,
            )
        )
    return items


def seed(supplier: SupplierDef) -> list[Item]:
    return generate(supplier, supplier.size)

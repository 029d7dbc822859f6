"""Domain objects for unit tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from quotations.domain.model import (
    Address,
    CustomerSnapshot,
    LinePrice,
    Quotation,
    new_quotation,
)

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
CUSTOMER = CustomerSnapshot(
    name="Ion Popescu",
    email="ion@lumina.ro",
    company="Lumină Și Țară SRL",
    vat_code="RO14399840",
    address=Address(
        line1="Str. Ștefan cel Mare 3", city="Iași", county="Iași", postal_code="700001"
    ),
)


def priced(sku: str, quantity: int, unit_net: str = "12.35", vat_rate: str = "21") -> LinePrice:
    unit = Decimal(unit_net)
    net = unit * quantity
    vat = (net * Decimal(vat_rate) / 100).quantize(Decimal("0.01"))
    return LinePrice(
        sku=sku,
        quantity=quantity,
        name=f"Bandă LED {sku} — țesătură",
        unit="buc",
        unit_cost=Decimal("8.00"),
        list_price=(unit * Decimal("1.08")).quantize(Decimal("0.01")),
        tier="TIER_1",
        tier_discount_pct=Decimal("5"),
        volume_discount_pct=Decimal("2") if quantity >= 10 else Decimal("0"),
        promotion_discount_pct=Decimal("0"),
        unit_net=unit,
        vat_rate=Decimal(vat_rate),
        unit_gross=(unit * (1 + Decimal(vat_rate) / 100)).quantize(Decimal("0.01")),
        line_net=net,
        line_vat=vat,
        line_gross=net + vat,
        margin_pct=Decimal("54.38"),
        margin_floor_applied=False,
        currency="RON",
        promotion_id="",
        vat_category="STANDARD",
        pricing_date="2026-12-03",
    )


def draft(lines: int = 2, *, number: str = "OF-2026-0001") -> Quotation:
    q = new_quotation(
        quotation_id=uuid.uuid4(),
        number=number,
        customer_id=uuid.uuid4(),
        customer=CUSTOMER,
        priced=[priced(f"LED-{i:03d}", 5 * i) for i in range(1, lines + 1)],
        pricing_date="2026-12-03",
        at=T0,
        notes="Livrare în Țară",
    )
    q.take_changes()
    return q

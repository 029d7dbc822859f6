"""The document: text extracted back with pypdf shows the figures and the diacritics."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pypdf

from quotations.pdf import Company, render_quotation, ro_amount, ro_pct

from .factories import T0, draft

COMPANY = Company(
    name="Cypher Iluminat Distribuție SRL",
    cui="RO14399840",
    reg_com="J12/1234/2010",
    address="Str. Fabricii 12, Cluj-Napoca",
    bank="Banca Transilvania",
    iban="RO49BTRL01301202925689XX",
)


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_romanian_amounts() -> None:
    assert ro_amount(Decimal("1234.5")) == "1.234,50"
    assert ro_amount(Decimal("1234567.891")) == "1.234.567,89"
    assert ro_amount(Decimal("0")) == "0,00"
    assert ro_pct(Decimal("21")) == "21%"
    assert ro_pct(Decimal("2.50")) == "2,5%"


def test_the_document_carries_company_customer_lines_and_totals() -> None:
    q = draft(lines=3)
    q.send(T0, validity=timedelta(days=15), reminders=[])
    text = text_of(render_quotation(q, COMPANY, "Termeni: plata în 30 de zile."))
    assert "Lumină Și Țară SRL" in text
    assert "Ș" in text
    assert "ț" in text
    assert "\u015e" not in text
    assert "\u0163" not in text
    for needle in (
        COMPANY.name,
        "CUI: RO14399840",
        "Reg. Com.: J12/1234/2010",
        "RO49BTRL01301202925689XX",
        "OF-2026-0001",
        "03.12.2026",
        "18.12.2026",
        "OFERTĂ DE PREȚ",
        "plata în 30 de zile",
    ):
        assert needle in text, needle
    for line in q.lines:
        assert line.sku in text
        assert ro_amount(line.unit_net) in text
        assert ro_amount(line.line_gross) in text
    assert ro_amount(q.totals.net) in text
    assert ro_amount(q.totals.vat) in text
    assert ro_amount(q.totals.gross) in text


def test_a_long_quotation_runs_over_pages() -> None:
    q = draft(lines=80)
    reader = pypdf.PdfReader(io.BytesIO(render_quotation(q, COMPANY, "t")))
    assert len(reader.pages) > 1
    assert "LED-080" in "".join(page.extract_text() for page in reader.pages)
    # The header row repeats on every page, and the totals close the last one.
    assert all("Produs" in page.extract_text() for page in reader.pages[:-1])
    assert ro_amount(q.totals.gross) in reader.pages[-1].extract_text()

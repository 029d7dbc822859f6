"""The quotation as a branded A4 PDF (reportlab Platypus).

Text is set in DejaVu Sans, shipped with the service (fonts/, licence beside it) and
embedded as a subset in every document, so the Romanian comma-below letters (ș ț Ș Ț)
and ă â î render on any reader. Amounts are printed the Romanian way ("1.234,56").
The rendering is pure (quotation + company identity in, bytes out) and CPU-bound:
callers run it in a worker thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from quotations.domain.model import LinePrice, Quotation, Status

FONTS = Path(__file__).parent / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
BRAND = colors.HexColor("#1F4E79")
LIGHT = colors.HexColor("#EAF1F8")
TIMEZONE_NOTE = "UTC"


@dataclass(frozen=True)
class Company:
    """Who issues the quotation (from settings)."""

    name: str
    cui: str
    reg_com: str
    address: str
    bank: str
    iban: str
    email: str = ""
    phone: str = ""


@cache
def register_fonts() -> None:
    """Once per process: parsing the TTF files is the slow part of a first render."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)


def ro_amount(value: Decimal) -> str:
    """1234.5 → "1.234,50" (two decimals, dot thousands, comma decimals)."""
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def ro_pct(value: Decimal) -> str:
    """21 → "21%", 2.5 → "2,5%"."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") + "%"


def ro_date(value: datetime) -> str:
    return value.strftime("%d.%m.%Y")


def _discounts(line: LinePrice) -> str:
    parts = [
        (label, pct)
        for label, pct in (
            ("client", line.tier_discount_pct),
            ("volum", line.volume_discount_pct),
            ("promo", line.promotion_discount_pct),
        )
        if pct
    ]
    return "\n".join(f"{ro_pct(p)} {label}" for label, p in parts) or "—"


class _Styles:
    def __init__(self) -> None:
        self.body = ParagraphStyle("body", fontName=REGULAR, fontSize=8.5, leading=11)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=7.5, leading=9.5)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=7.5, leading=9)
        self.num = ParagraphStyle("num", parent=self.cell, alignment=TA_RIGHT)
        self.title = ParagraphStyle(
            "title", fontName=BOLD, fontSize=17, leading=21, textColor=BRAND
        )
        self.company = ParagraphStyle(
            "company", fontName=BOLD, fontSize=12, leading=15, textColor=BRAND
        )
        self.label = ParagraphStyle(
            "label", parent=self.body, fontName=BOLD, fontSize=8, textColor=BRAND
        )
        self.total = ParagraphStyle("total", parent=self.num, fontName=BOLD, fontSize=9)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text, style)


def _t(text: str) -> str:
    return escape(text)


def _party(title: str, rows: list[str], s: _Styles) -> list[Paragraph]:
    return [_p(_t(title), s.label), *[_p(r, s.body) for r in rows]]


def _header(q: Quotation, company: Company, s: _Styles) -> list[Table | Spacer]:
    issued = q.sent_at or q.created_at
    valid = ro_date(q.valid_until) if q.valid_until is not None else "15 zile de la trimitere"
    meta = [
        _p("OFERTĂ DE PREȚ", s.title),
        _p(f"Nr. <b>{_t(q.number)}</b>", s.body),
        _p(f"Data: {ro_date(issued)}", s.body),
        _p(f"Valabilă până la: <b>{_t(valid)}</b>", s.body),
    ]
    if q.status is Status.DRAFT:
        meta.append(_p("CIORNĂ — netrimisă clientului", s.label))
    supplier = [
        _p(_t(company.name), s.company),
        _p(f"CUI: {_t(company.cui)}", s.body),
        _p(f"Reg. Com.: {_t(company.reg_com)}", s.body),
        _p(_t(company.address), s.body),
        _p(f"{_t(company.bank)} — IBAN {_t(company.iban)}", s.body),
    ]
    contact = " · ".join(x for x in (company.email, company.phone) if x)
    if contact:
        supplier.append(_p(_t(contact), s.body))
    top = Table([[supplier, meta]], colWidths=[105 * mm, 75 * mm])
    top.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, BRAND),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 8),
            ]
        )
    )
    c = q.customer
    rows = [f"<b>{_t(c.company or c.name)}</b>"]
    if c.company and c.name and c.name != c.company:
        rows.append(f"În atenția: {_t(c.name)}")
    if c.vat_code:
        rows.append(f"CUI: {_t(c.vat_code)}")
    rows.extend(_t(x) for x in c.address.lines())
    if q.recipient_email or c.email:
        rows.append(_t(q.recipient_email or c.email))
    customer = Table([[_party("CLIENT", rows, s)]], colWidths=[180 * mm])
    customer.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), LIGHT),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return [top, Spacer(1, 5 * mm), customer, Spacer(1, 5 * mm)]


_COLUMNS = [
    ("Nr.", 8),
    ("Produs", 46),
    ("UM", 9),
    ("Cant.", 11),
    ("Preț\nlistă", 16),
    ("Discount", 17),
    ("Preț\nunitar", 16),
    ("TVA", 10),
    ("Valoare\nnetă", 18),
    ("Valoare\nTVA", 15),
    ("Total", 18),
]
FIRST_NUMERIC = 3


def _lines_table(q: Quotation, s: _Styles) -> Table:
    # Plain strings wherever nothing needs wrapping: a Paragraph per cell would cost
    # most of the render time (only the product name wraps).
    rows: list[list[str | Paragraph]] = [[title for title, _ in _COLUMNS]]
    for index, ln in enumerate(q.lines, start=1):
        product = f"<b>{_t(ln.sku)}</b><br/>{_t(ln.name)}" if ln.name else f"<b>{_t(ln.sku)}</b>"
        rows.append(
            [
                str(index),
                _p(product, s.cell),
                ln.unit or "buc",
                str(ln.quantity),
                ro_amount(ln.list_price),
                _discounts(ln),
                ro_amount(ln.unit_net),
                ro_pct(ln.vat_rate),
                ro_amount(ln.line_net),
                ro_amount(ln.line_vat),
                ro_amount(ln.line_gross),
            ]
        )
    table = Table(rows, colWidths=[w * mm for _, w in _COLUMNS], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), REGULAR, 7.5, 9),
                ("FONT", (0, 0), (-1, 0), BOLD, 7.5, 9),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("BACKGROUND", (0, 0), (-1, 0), BRAND),
                ("ALIGN", (FIRST_NUMERIC, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, LIGHT]),
                ("LINEBELOW", (0, -1), (-1, -1), 0.8, BRAND),
                ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    return table


def _totals(q: Quotation, s: _Styles) -> Table:
    t = q.totals
    cur = _t(q.currency)
    rows = [
        [_p("Total net", s.num), _p(f"{ro_amount(t.net)} {cur}", s.num)],
        [_p("Total TVA", s.num), _p(f"{ro_amount(t.vat)} {cur}", s.num)],
        [_p("<b>Total de plată</b>", s.total), _p(f"{ro_amount(t.gross)} {cur}", s.total)],
    ]
    table = Table(rows, colWidths=[40 * mm, 35 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, 2), (-1, 2), 1, BRAND),
                ("BACKGROUND", (0, 2), (-1, 2), LIGHT),
            ]
        )
    )
    return table


def _footer(company: Company, q: Quotation) -> object:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(15 * mm, 10 * mm, f"{company.name} · {q.number}")
        canvas.drawRightString(195 * mm, 10 * mm, f"Pagina {doc.page}")
        canvas.restoreState()

    return draw


def render_quotation(q: Quotation, company: Company, terms: str) -> bytes:
    """The quotation document as PDF bytes."""
    register_fonts()
    s = _Styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"Ofertă {q.number}",
        author=company.name,
        subject=f"Ofertă de preț pentru {q.customer.company or q.customer.name}",
        creator="CYPHER quotations",
    )
    story: list[Flowable] = [*_header(q, company, s), _lines_table(q, s), Spacer(1, 4 * mm)]
    # The totals stay on one page; each heading stays with its text.
    story += [KeepTogether([_totals(q, s)]), Spacer(1, 6 * mm)]
    if q.notes:
        story += [
            KeepTogether([_p("OBSERVAȚII", s.label), _p(_t(q.notes), s.body)]),
            Spacer(1, 4 * mm),
        ]
    story.append(
        KeepTogether(
            [
                _p("TERMENI ȘI CONDIȚII", s.label),
                _p(_t(terms), s.small),
                _p(
                    f"Prețuri calculate la data de {_t(q.pricing_date)}; cota TVA în vigoare"
                    " la acea dată. Prețurile sunt blocate pe durata valabilității ofertei.",
                    s.small,
                ),
            ]
        )
    )
    footer = _footer(company, q)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)  # type: ignore[arg-type]
    return buffer.getvalue()

"""A small but real PDF of a document, as SmartBill's `/pdf` calls return."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from cypher_fakes.smartbill.account import Document


def render(doc: Document) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True)
    title = "FACTURA" if doc.kind == "invoice" else "FACTURA PROFORMA"
    if doc.reverses:
        title = "FACTURA STORNO"
    canvas.setTitle(f"{title} {doc.series} {doc.number}")
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(56, 780, f"{title} {doc.series} {doc.number}")
    canvas.setFont("Helvetica", 11)
    client = doc.body.get("client") or {}
    lines = [
        f"Data emiterii: {doc.issue_date}",
        f"Client: {client.get('name', '')}",
        f"Total: {doc.total} {doc.body.get('currency') or 'RON'}",
    ]
    if doc.cancelled:
        lines.append("ANULATA")
    for i, line in enumerate(lines):
        canvas.drawString(56, 750 - 16 * i, line)
    canvas.showPage()
    canvas.save()
    return out.getvalue()

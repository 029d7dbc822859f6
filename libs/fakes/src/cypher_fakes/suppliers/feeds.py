"""How each fake supplier publishes its items: two HTML sites with different markup,
two CSV dialects and a paginated JSON API. Layouts are documented in the README."""

from __future__ import annotations

import csv
import io
import json
import math
from decimal import Decimal
from html import escape

from cypher_fakes.suppliers.catalog import Item

ACA_PAGE_SIZE = 20
BRAYTRON_PAGE_SIZE = 24
ARELUX_PAGE_SIZE = 25
ARELUX_MAX_PAGE_SIZE = 100


def pages(total: int, size: int) -> int:
    return max(1, math.ceil(total / size))


def _slice(items: list[Item], page: int, size: int) -> list[Item]:
    return items[(page - 1) * size : page * size]


def ro_number(value: Decimal) -> str:
    """Romanian notation: 1.234,56."""
    whole, _, frac = f"{value:,.2f}".partition(".")
    return whole.replace(",", ".") + "," + frac


def aca_page(items: list[Item], page: int) -> str:
    last = pages(len(items), ACA_PAGE_SIZE)
    rows = "\n".join(
        f'      <tr class="product" data-sku="{escape(i.supplier_sku)}">'
        f'<td class="cod">{escape(i.supplier_sku)}</td>'
        f'<td class="denumire"><a href="/aca/produs/{escape(i.supplier_sku)}">'
        f"{escape(i.name)}</a></td>"
        f'<td class="pret">{i.price:.2f}</td>'
        f'<td class="moneda">{escape(i.currency)}</td>'
        f'<td class="stoc">{i.stock}</td></tr>'
        for i in _slice(items, page, ACA_PAGE_SIZE)
    )
    nav = []
    if page > 1:
        nav.append(f'<a class="prev" rel="prev" href="/aca/produse?page={page - 1}">Înapoi</a>')
    if page < last:
        nav.append(f'<a class="next" rel="next" href="/aca/produse?page={page + 1}">Înainte</a>')
    return f"""<!DOCTYPE html>
<html lang="ro"><head><meta charset="utf-8"><title>Aca Lighting — Listă prețuri</title></head>
<body>
  <h1>Listă prețuri distribuitori</h1>
  <table id="lista-preturi" class="products">
    <thead><tr><th>Cod</th><th>Denumire</th><th>Preț</th><th>Monedă</th><th>Stoc</th></tr></thead>
    <tbody>
{rows}
    </tbody>
  </table>
  <div class="pagination"><span class="page">Pagina {page} din {last}</span> {" ".join(nav)}</div>
</body></html>
"""


def braytron_page(items: list[Item], page: int) -> str:
    last = pages(len(items), BRAYTRON_PAGE_SIZE)
    cards = "\n".join(
        f'    <div class="product-card" data-sku="{escape(i.supplier_sku)}">\n'
        f'      <h3 class="product-title">{escape(i.name)}</h3>\n'
        f'      <span class="sku">Cod: {escape(i.supplier_sku)}</span>\n'
        f'      <span class="price">{ro_number(i.price)} lei</span>\n'
        f'      <span class="stock" data-qty="{i.stock}">'
        f"{'În stoc' if i.stock else 'Stoc epuizat'} ({i.stock} buc)</span>\n"
        f"    </div>"
        for i in _slice(items, page, BRAYTRON_PAGE_SIZE)
    )
    head_next = f'<link rel="next" href="/braytron/catalog?pag={page + 1}">' if page < last else ""
    next_link = (
        f'<a class="next-page" rel="next" href="/braytron/catalog?pag={page + 1}">›</a>'
        if page < last
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="ro"><head><meta charset="utf-8"><title>Braytron — Catalog</title>{head_next}</head>
<body>
  <main>
  <section class="products-grid">
{cards}
  </section>
  <nav class="pager"><span class="current">{page}</span>/<span class="total">{last}</span>
    {next_link}</nav>
  </main>
</body></html>
"""


def masterled_csv(items: list[Item]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["code", "name", "price", "stock", "currency"])
    for i in items:
        writer.writerow([i.supplier_sku, i.name, f"{i.price:.2f}", i.stock, i.currency])
    return out.getvalue()


def fsl_csv(items: list[Item]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Cod", "Denumire", "Pret", "Stoc", "Moneda"])
    for i in items:
        # Decimal comma and no thousands separator, as a Romanian spreadsheet exports.
        writer.writerow(
            [i.supplier_sku, i.name, f"{i.price:.2f}".replace(".", ","), i.stock, i.currency]
        )
    return out.getvalue()


def arelux_page(items: list[Item], page: int, per_page: int) -> str:
    last = pages(len(items), per_page)
    body = {
        "items": [
            {
                "code": i.supplier_sku,
                "title": i.name,
                "pricing": {"net": f"{i.price:.2f}", "currency": i.currency},
                "stock": {"available": i.stock, "in_stock": i.stock > 0},
            }
            for i in _slice(items, page, per_page)
        ],
        "page": page,
        "pages": last,
        "per_page": per_page,
        "total": len(items),
        "next": (
            f"/arelux/api/products?page={page + 1}&per_page={per_page}" if page < last else None
        ),
    }
    return json.dumps(body, ensure_ascii=False)


def garbage(kind: str) -> str:
    """A 200 answer a parser must reject rather than read as an empty catalogue."""
    if kind == "json":
        return '{"items": [{"code": "ARX-0001", "title": "Bec LED'
    if kind == "csv":
        return "<html><body>Serviciu indisponibil</body></html>\n\x00\x00;;;\n"
    return "<html><body><div>Întreținere programată<table><tr><td>??</td>"

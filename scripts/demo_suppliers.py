"""The five suppliers of the demo, configured against the local stand-ins of their sites
(`SUPPLIERS_FAKE_SITES_BASE_URL`, default http://127.0.0.1:8203): the feed of each is
data — format, URL, field mapping — as an operator would enter it through the API."""

from __future__ import annotations

from typing import Any

DEFAULT_BASE_URL = "http://127.0.0.1:8203"

# name, format, path, currency, field mapping
SUPPLIERS: list[tuple[str, str, str, str, dict[str, str]]] = [
    (
        "Aca Lighting",
        "HTML",
        "/aca/produse",
        "RON",
        {
            "item": "table#lista-preturi tbody tr.product",
            "sku": "td.cod",
            "name": "td.denumire",
            "price": "td.pret",
            "stock": "td.stoc",
            "url": "td.denumire a@href",
            "next_page": "a.next@href",
        },
    ),
    (
        "Braytron",
        "HTML",
        "/braytron/catalog",
        "RON",
        {
            "item": "div.product-card",
            "sku": "@data-sku",
            "name": "h3.product-title",
            "price": "span.price",
            "stock": "span.stock@data-qty",
            "next_page": "a.next-page@href",
            "decimal_comma": "true",
        },
    ),
    (
        "Masterled",
        "CSV",
        "/masterled/feed.csv",
        "RON",
        {
            "sku_column": "code",
            "name_column": "name",
            "price_column": "price",
            "stock_column": "stock",
        },
    ),
    (
        "FSL",
        "CSV",
        "/fsl/export.csv",
        "RON",
        {
            "delimiter": ";",
            "decimal_comma": "true",
            "sku_column": "Cod",
            "name_column": "Denumire",
            "price_column": "Pret",
            "stock_column": "Stoc",
        },
    ),
    (
        "Arelux",
        "JSON",
        "/arelux/api/products",
        "EUR",
        {
            "items_path": "items",
            "sku_field": "code",
            "name_field": "title",
            "price_field": "pricing.net",
            "stock_field": "stock.available",
            "in_stock_field": "stock.in_stock",
            "next_page_path": "next",
        },
    ),
]


def supplier_bodies(base_url: str = DEFAULT_BASE_URL) -> list[dict[str, Any]]:
    """`POST /suppliers` bodies of the five suppliers."""
    return [
        {
            "name": name,
            "feed_format": fmt,
            "feed_url": base_url.rstrip("/") + path,
            "feed_config": config,
            "currency": currency,
            "active": True,
        }
        for name, fmt, path, currency, config in SUPPLIERS
    ]

"""Parsers per format against fixture files: items, rejected rows, next pages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from suppliers.domain.feed import PriceBounds
from suppliers.domain.supplier import FeedFormat
from suppliers.feeds.page import ParsedPage, ParseOptions
from suppliers.feeds.parse import parse_page

FIXTURES = Path(__file__).parent / "fixtures"
BOUNDS = PriceBounds(Decimal("0.01"), Decimal("1000000"))

ACA = {
    "item": "table.products tr.product",
    "sku": "td.code",
    "name": "td.name",
    "price": "td.price",
    "stock": "td.stock",
    "url": "td.name a@href",
    "next_page": "nav.pager a.next@href",
    "decimal_comma": "true",
}
BRAYTRON = {
    "item": "article.card",
    "sku": "@data-sku",
    "name": "h3.title",
    "price": "span.amount",
    "in_stock": "p.availability",
    "url": "h3.title a@href",
    "next_page": "a[rel=next]",
}
MASTERLED = {
    "sku_column": "sku",
    "price_column": "net_price",
    "name_column": "product_name",
    "stock_column": "qty",
}
FSL = {
    "delimiter": ";",
    "decimal_comma": "true",
    "sku_column": "Cod produs",
    "price_column": "Pret (lei)",
    "name_column": "Denumire",
    "in_stock_column": "Disponibil",
}
ARELUX = {
    "items_path": "data.products",
    "sku_field": "code",
    "name_field": "title",
    "price_field": "pricing.net",
    "stock_field": "stock.qty",
    "next_page_path": "links.next",
}


def parse(fmt: FeedFormat, name: str, config: dict[str, str], url: str) -> ParsedPage:
    body = (FIXTURES / name).read_bytes()
    return parse_page(fmt, body, ParseOptions(config, BOUNDS, url, "page 1"))


def by_sku(page: ParsedPage) -> dict[str, tuple[Decimal, bool, int | None]]:
    return {i.supplier_sku: (i.price, i.in_stock, i.stock_quantity) for i in page.items}


def test_html_table_with_decimal_commas_and_next_page() -> None:
    page = parse(FeedFormat.HTML, "aca_page1.html", ACA, "http://sites.test/aca/produse")
    assert by_sku(page) == {
        "ACA-00001": (Decimal("84.15"), True, 120),
        "ACA-00002": (Decimal("6.10"), False, 0),
        "ACA-00003": (Decimal("1234.50"), True, 7),
    }
    first = page.items[0]
    assert first.name == "Panou LED 60x60 40W 4000K"
    assert first.url == "http://sites.test/aca/p/ACA-00001"
    assert page.next_url == "http://sites.test/aca/produse?page=2"
    problems = [str(e) for e in page.errors]
    assert problems == [
        "page 1 item 4: price: not a price ('la cerere')",
        "page 1 item 5: price: negative ('-5,00')",
        "page 1 item 6: sku: missing",
    ]


def test_html_last_page_has_no_next_and_absurd_price_is_rejected() -> None:
    page = parse(FeedFormat.HTML, "aca_page2.html", ACA, "http://sites.test/aca/produse?page=2")
    assert by_sku(page) == {"ACA-00006": (Decimal("19.99"), True, 45)}
    assert page.next_url is None
    assert "above 1000000" in str(page.errors[0])


def test_html_cards_with_attribute_selectors_and_availability_words() -> None:
    page = parse(FeedFormat.HTML, "braytron.html", BRAYTRON, "http://sites.test/braytron/")
    assert by_sku(page) == {
        "BR-0001": (Decimal("81.90"), True, None),
        "BR-0002": (Decimal("1204.00"), False, None),
    }
    assert page.items[0].url == "https://braytron.example/p/BR-0001"
    assert page.items[1].url == "http://sites.test/braytron/p/BR-0002"
    assert page.next_url == "http://sites.test/braytron/?page=2"
    assert [e.where for e in page.errors] == ["page 1 item 3", "page 1 item 4"]


def test_html_with_an_invalid_selector_is_fatal_not_a_crash() -> None:
    page = parse(FeedFormat.HTML, "braytron.html", {**BRAYTRON, "item": "article[["}, "http://x/")
    assert page.fatal is not None
    assert page.items == []


def test_csv_with_quoted_fields_and_garbage_rows() -> None:
    page = parse(FeedFormat.CSV, "masterled.csv", MASTERLED, "http://sites.test/masterled/x.csv")
    assert by_sku(page) == {
        "ML000001": (Decimal("80.25"), True, 30),
        "ML000002": (Decimal("6.55"), False, 0),
        "ML000003": (Decimal("48.00"), True, 12),
    }
    assert page.items[1].name == "Bec LED E27 10W 2700K, alb cald"
    assert [e.where for e in page.errors] == ["row 5", "row 6", "row 7", "row 8"]
    assert "5 fields" in str(page.errors[2])


def test_semicolon_csv_with_decimal_commas_and_yes_no_words() -> None:
    page = parse(FeedFormat.CSV, "fsl.csv", FSL, "http://sites.test/fsl/export.csv")
    assert by_sku(page) == {
        "FSL.00001": (Decimal("83.40"), True, None),
        "FSL.00002": (Decimal("1450.00"), False, None),
        "FSL.00003": (Decimal("8.5"), True, None),
    }
    assert [str(e) for e in page.errors] == ["row 5: price: not a price ('')"]


def test_csv_missing_a_configured_column_is_fatal() -> None:
    config = {**MASTERLED, "price_column": "pret"}
    page = parse(FeedFormat.CSV, "masterled.csv", config, "http://x/")
    assert page.fatal == "page 1: columns missing from the header: pret"
    assert page.items == []


def test_csv_that_is_binary_garbage_is_fatal() -> None:
    opts = ParseOptions(MASTERLED, BOUNDS, "http://x/", "page 1")
    page = parse_page(FeedFormat.CSV, b"\x00\xff\xfe garbage", opts)
    assert page.fatal is not None


def test_json_with_paths_numbers_and_next_link() -> None:
    page = parse(
        FeedFormat.JSON, "arelux_page1.json", ARELUX, "http://sites.test/arelux/api/products"
    )
    assert by_sku(page) == {
        "ARX-0001": (Decimal("16.60"), True, 14),
        "ARX-0002": (Decimal("1.29"), False, 0),
    }
    assert page.next_url == "http://sites.test/arelux/api/products?page=2"
    assert [e.where for e in page.errors] == ["page 1 item 3", "page 1 item 4", "page 1 item 5"]
    last = parse(
        FeedFormat.JSON, "arelux_page2.json", ARELUX, "http://sites.test/arelux/api/products?page=2"
    )
    assert last.next_url is None
    assert by_sku(last) == {"ARX-0005": (Decimal("19.56"), True, 8)}


def test_json_that_is_not_json_or_has_no_list_is_fatal() -> None:
    opts = ParseOptions(ARELUX, BOUNDS, "http://x/", "page 1")
    assert parse_page(FeedFormat.JSON, b"<html>oops</html>", opts).fatal is not None
    assert parse_page(FeedFormat.JSON, b'{"data": {"products": 3}}', opts).fatal is not None
    deep = b"[" * 100_000 + b"]" * 100_000
    assert parse_page(FeedFormat.JSON, deep, opts).fatal is not None


def test_a_page_without_any_item_is_fatal_not_an_empty_catalogue() -> None:
    opts = ParseOptions(ACA, BOUNDS, "http://x/", "page 1")
    maintenance = b"<html><body><div>Intretinere programata<table><tr><td>??</td>"
    assert parse_page(FeedFormat.HTML, maintenance, opts).fatal == (
        "page 1: no items found (is the configuration still right?)"
    )
    header_only = ParseOptions(MASTERLED, BOUNDS, "http://x/", "page 1")
    assert parse_page(FeedFormat.CSV, b"sku,product_name,net_price,qty\r\n", header_only).fatal

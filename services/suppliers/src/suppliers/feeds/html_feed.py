"""HTML feeds (product tables or cards) read with CSS selectors (selectolax/Lexbor).

A field selector is `css` (the element's text) or `css@attr` (an attribute); `@attr`
alone reads the item element itself. Selectors are relative to the item element;
`next_page` is a document selector whose `href` (or given attribute) is the next page.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from suppliers.domain.feed import make_item
from suppliers.feeds.page import ParsedPage, ParseOptions

MAX_ITEMS_PER_PAGE = 20_000


def _split(spec: str) -> tuple[str, str | None]:
    css, _, attr = spec.partition("@")
    return css.strip(), (attr.strip() or None) if "@" in spec else None


def _read(node: LexborNode, spec: str | None) -> str | None:
    if not spec:
        return None
    css, attr = _split(spec)
    target = node.css_first(css) if css else node
    if target is None:
        return None
    if attr is not None:
        return target.attributes.get(attr)
    return target.text(deep=True, separator=" ", strip=True)


def parse_html(body: bytes, opts: ParseOptions) -> ParsedPage:
    page = ParsedPage()
    cfg = opts.config
    try:
        tree = LexborHTMLParser(body.decode("utf-8", errors="replace"))
        nodes = tree.css(cfg["item"])
    except (SelectolaxError, ValueError) as exc:
        page.fatal = f"{opts.page_label}: cannot read the page with the item selector: {exc}"
        return page
    if len(nodes) > MAX_ITEMS_PER_PAGE:
        page.fatal = f"{opts.page_label}: {len(nodes)} items on one page is beyond reason"
        return page
    for i, node in enumerate(nodes, start=1):
        try:
            raw = {key: _read(node, cfg.get(key)) for key in ("sku", "price", "name", "stock")}
            flag = _read(node, cfg.get("in_stock"))
            link = _read(node, cfg.get("url"))
        except (SelectolaxError, ValueError) as exc:
            page.fatal = f"{opts.page_label}: a field selector is not valid CSS: {exc}"
            return page
        page.take(
            f"{opts.page_label} item {i}",
            partial(
                make_item,
                sku=raw["sku"],
                price=raw["price"],
                name=raw["name"],
                stock=raw["stock"],
                in_stock=flag,
                url=urljoin(opts.page_url, link) if link else None,
                decimal_comma=opts.decimal_comma,
                bounds=opts.bounds,
            ),
        )
    if cfg.get("next_page"):
        css, attr = _split(cfg["next_page"])
        try:
            target = tree.css_first(css) if css else None
        except (SelectolaxError, ValueError):
            target = None
        href = target.attributes.get(attr or "href") if target is not None else None
        if href:
            page.next_url = urljoin(opts.page_url, href)
    return page

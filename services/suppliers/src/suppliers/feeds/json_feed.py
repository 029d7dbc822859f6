"""JSON feeds read with JMESPath expressions: `items_path` selects the list of items,
the `*_field` expressions read each item, `next_page_path` (optional) the next page's
URL from the document."""

from __future__ import annotations

import json
from functools import partial
from typing import Any
from urllib.parse import urljoin

import jmespath
from jmespath.exceptions import JMESPathError

from suppliers.domain.feed import make_item
from suppliers.feeds.page import ParsedPage, ParseOptions

FIELDS = ("sku_field", "price_field", "name_field", "stock_field", "in_stock_field", "url_field")
MAX_DEPTH_TEXT = 200


def _scalar(value: Any) -> str | float | int | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError(f"a {type(value).__name__} where a value was expected")


def parse_json(body: bytes, opts: ParseOptions) -> ParsedPage:
    page = ParsedPage()
    cfg = opts.config
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        page.fatal = f"{opts.page_label}: not JSON: {str(exc)[:MAX_DEPTH_TEXT]}"
        return page
    try:
        expressions = {key: jmespath.compile(cfg[key]) for key in FIELDS if cfg.get(key)}
        items = jmespath.search(cfg["items_path"], document)
        next_url = (
            jmespath.search(cfg["next_page_path"], document) if cfg.get("next_page_path") else None
        )
    except (JMESPathError, RecursionError) as exc:
        page.fatal = f"{opts.page_label}: the feed configuration's paths fail: {exc}"
        return page
    if not isinstance(items, list):
        page.fatal = f"{opts.page_label}: items_path does not select a list"
        return page
    for i, entry in enumerate(items, start=1):
        where = f"{opts.page_label} item {i}"
        if not isinstance(entry, dict):
            page.reject(where, "not an object")
            continue
        try:
            raw = {key: _scalar(expr.search(entry)) for key, expr in expressions.items()}
        except (JMESPathError, ValueError) as exc:
            page.reject(where, str(exc))
            continue
        name, url = raw.get("name_field"), raw.get("url_field")
        page.take(
            where,
            partial(
                make_item,
                sku=_number_or_text(raw.get("sku_field")),
                price=_number_or_text(raw.get("price_field")),
                name=name if isinstance(name, str) else None,
                stock=_number_or_text(raw.get("stock_field")),
                in_stock=_flag(raw.get("in_stock_field")),
                url=urljoin(opts.page_url, url) if isinstance(url, str) and url else None,
                decimal_comma=opts.decimal_comma,
                bounds=opts.bounds,
            ),
        )
    if isinstance(next_url, str) and next_url.strip():
        page.next_url = urljoin(opts.page_url, next_url.strip())
    return page


def _flag(value: str | float | int | bool | None) -> str | bool | int | None:
    return str(value) if isinstance(value, float) else value


def _number_or_text(value: str | float | int | bool | None) -> str | float | int | None:
    return None if isinstance(value, bool) else value

"""CSV feeds read with the csv module: configured delimiter and column names, optional
decimal commas (`1.234,56`, as Romanian sites publish). A header without the configured
sku or price column makes the whole document unusable."""

from __future__ import annotations

import csv
import io
from functools import partial

from suppliers.domain.feed import make_item
from suppliers.feeds.page import ParsedPage, ParseOptions

MAX_FIELD = 10_000


def parse_csv(body: bytes, opts: ParseOptions) -> ParsedPage:
    page = ParsedPage()
    cfg = opts.config
    encoding = cfg.get("encoding", "utf-8-sig")
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        page.fatal = f"{opts.page_label}: not {encoding} text: {exc}"
        return page
    if "\x00" in text:
        page.fatal = f"{opts.page_label}: binary data, not CSV"
        return page
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=cfg.get("delimiter", ","))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        page.fatal = f"{opts.page_label}: empty document"
        return page
    except csv.Error as exc:
        page.fatal = f"{opts.page_label}: unreadable header: {exc}"
        return page
    columns = {
        key: cfg[key]
        for key in (
            "sku_column",
            "price_column",
            "name_column",
            "stock_column",
            "in_stock_column",
            "url_column",
        )
        if cfg.get(key)
    }
    missing = sorted({c for c in columns.values() if c not in header})
    if missing:
        page.fatal = f"{opts.page_label}: columns missing from the header: {', '.join(missing)}"
        return page
    index = {key: header.index(column) for key, column in columns.items()}
    row_no = 1
    while True:
        row_no += 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            page.reject(f"row {row_no}", f"malformed CSV: {exc}")
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            page.reject(f"row {row_no}", f"{len(row)} fields where the header has {len(header)}")
            continue
        if any(len(cell) > MAX_FIELD for cell in row):
            page.reject(f"row {row_no}", "a field is too long")
            continue

        def cell(key: str, row: list[str] = row) -> str | None:
            return row[index[key]] if key in index else None

        page.take(
            f"row {row_no}",
            partial(
                make_item,
                sku=cell("sku_column"),
                price=cell("price_column"),
                name=cell("name_column"),
                stock=cell("stock_column"),
                in_stock=cell("in_stock_column"),
                url=cell("url_column"),
                decimal_comma=opts.decimal_comma,
                bounds=opts.bounds,
            ),
        )
    return page

"""The one entry from a fetched page to items: picks the parser of the feed's format."""

from __future__ import annotations

from collections.abc import Callable

from suppliers.domain.supplier import FeedFormat
from suppliers.feeds.csv_feed import parse_csv
from suppliers.feeds.html_feed import parse_html
from suppliers.feeds.json_feed import parse_json
from suppliers.feeds.page import ParsedPage, ParseOptions

PARSERS: dict[FeedFormat, Callable[[bytes, ParseOptions], ParsedPage]] = {
    FeedFormat.HTML: parse_html,
    FeedFormat.CSV: parse_csv,
    FeedFormat.JSON: parse_json,
}


def parse_page(fmt: FeedFormat, body: bytes, opts: ParseOptions) -> ParsedPage:
    page = PARSERS[fmt](body, opts)
    if page.fatal is None and not page.items and not page.rows_rejected:
        # A maintenance page or a changed layout must not read as an empty catalogue.
        page.fatal = f"{opts.page_label}: no items found (is the configuration still right?)"
    return page

"""What parsing one fetched page yields, whatever the format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from suppliers.domain.feed import FeedItem, PriceBounds, RowError, RowRejected

MAX_ROW_ERRORS_PER_PAGE = 1000


@dataclass
class ParsedPage:
    items: list[FeedItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    next_url: str | None = None
    # The page as a whole is unusable (not the format, columns missing): no items.
    fatal: str | None = None
    rows_rejected: int = 0

    def take(self, where: str, build: Callable[[], FeedItem]) -> None:
        """Add the item `build` makes, or record why the row was rejected."""
        try:
            self.items.append(build())
        except RowRejected as exc:
            self.reject(where, str(exc))

    def reject(self, where: str, problem: str) -> None:
        self.rows_rejected += 1
        if len(self.errors) < MAX_ROW_ERRORS_PER_PAGE:
            self.errors.append(RowError(where, problem))


@dataclass(frozen=True)
class ParseOptions:
    config: dict[str, str]
    bounds: PriceBounds
    page_url: str
    page_label: str  # "page 2", for error messages

    @property
    def decimal_comma(self) -> bool:
        return self.config.get("decimal_comma", "false").lower() == "true"

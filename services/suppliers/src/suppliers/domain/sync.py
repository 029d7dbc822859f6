"""A sync run: one scrape of one supplier's feed, its counters and its outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from suppliers.domain.supplier import SyncStatus

MAX_ERRORS_KEPT = 50


class SyncTrigger(StrEnum):
    SCHEDULED = "SCHEDULED"
    MANUAL = "MANUAL"


@dataclass
class SyncRun:
    id: str
    supplier_id: str
    status: SyncStatus
    trigger: SyncTrigger
    started_at: datetime
    slot: datetime | None = None
    finished_at: datetime | None = None
    items_seen: int = 0
    items_new: int = 0
    items_changed: int = 0
    items_unmapped: int = 0
    error_count: int = 0
    price_alerts_raised: int = 0
    errors: list[str] = field(default_factory=list)

    def add_error(self, text: str) -> None:
        """Count every error; keep the first ones (a hostile feed must not grow the row)."""
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(text[:300])

    def finish(self, at: datetime, *, failed: bool) -> None:
        """FAILED when the feed could not be read at all; PARTIAL with row errors."""
        self.finished_at = at
        if failed:
            self.status = SyncStatus.FAILED
        elif self.error_count:
            self.status = SyncStatus.PARTIAL
        else:
            self.status = SyncStatus.SUCCEEDED

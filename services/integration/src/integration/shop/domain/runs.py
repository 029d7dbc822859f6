"""A sync run (full, incremental or retry of failed items) and its outcome; batches of
at most the shop's limit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")

# WooCommerce's batch endpoint takes at most 100 objects per request (413 above).
SHOP_BATCH_LIMIT = 100


class SyncMode(StrEnum):
    FULL = "FULL"
    INCREMENTAL = "INCREMENTAL"
    RETRY_FAILED = "RETRY_FAILED"


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"  # some items failed; kept for the retry run
    FAILED = "FAILED"  # the shop (or our sources) could not be reached


def batches(items: Sequence[T], size: int = SHOP_BATCH_LIMIT) -> Iterator[Sequence[T]]:
    if not 0 < size <= SHOP_BATCH_LIMIT:
        raise ValueError(f"batch size must be in 1..{SHOP_BATCH_LIMIT}")
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class SyncRun:
    id: uuid.UUID
    mode: SyncMode
    started_at: datetime
    status: RunStatus = RunStatus.RUNNING
    finished_at: datetime | None = None
    items_total: int = 0
    items_succeeded: int = 0
    items_failed: int = 0
    batches: int = 0
    error: str = ""
    # Items the run could not even try (shop or sources down): left pending, not failed.
    items_deferred: int = 0
    changes: list[object] = field(default_factory=list)

    @classmethod
    def start(cls, mode: SyncMode, at: datetime) -> SyncRun:
        return cls(id=uuid.uuid4(), mode=mode, started_at=at)

    def count_batch(self, *, succeeded: int, failed: int) -> None:
        self.batches += 1
        self.items_total += succeeded + failed
        self.items_succeeded += succeeded
        self.items_failed += failed

    def defer(self, count: int, error: str) -> None:
        self.items_total += count
        self.items_deferred += count
        self.error = error

    def finish(self, at: datetime) -> None:
        if self.status != RunStatus.RUNNING:
            raise ValueError("run already finished")
        self.finished_at = at
        if self.items_deferred and not self.items_succeeded:
            self.status = RunStatus.FAILED
        elif self.items_failed or self.items_deferred:
            self.status = RunStatus.PARTIAL
        else:
            self.status = RunStatus.SUCCEEDED
        self.changes.append(RunFinished(self.id, at))


@dataclass(frozen=True)
class RunFinished:
    run_id: uuid.UUID
    at: datetime

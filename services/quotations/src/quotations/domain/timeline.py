"""When a sent quotation's reminders fall due.

A plan is fixed when the quotation is sent (the offsets in force then), so changing
the reminder settings later never re-sends or skips a reminder of a quotation
already out. Offsets are durations before `valid_until` (7 days and 1 day by default;
a demo may use minutes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ReminderPlan:
    valid_until: datetime
    # Longest offset first (the earliest reminder first), no duplicates.
    offsets: tuple[timedelta, ...]
    # Offsets already handled (sent, or passed over for a more urgent one).
    handled: tuple[timedelta, ...] = ()

    @staticmethod
    def of(*, valid_until: datetime, offsets: Iterable[timedelta]) -> ReminderPlan:
        clean = sorted({o for o in offsets if o > timedelta(0)}, reverse=True)
        return ReminderPlan(valid_until=valid_until, offsets=tuple(clean))

    def at(self, offset: timedelta) -> datetime:
        return self.valid_until - offset

    def pending(self) -> tuple[timedelta, ...]:
        return tuple(o for o in self.offsets if o not in self.handled)

    def due(self, now: datetime) -> tuple[timedelta, ...]:
        """Offsets whose time has come and that were not handled (before expiry only)."""
        if now >= self.valid_until:
            return ()
        return tuple(o for o in self.pending() if self.at(o) <= now)

    def next_at(self) -> datetime | None:
        """The moment the next pending reminder falls due; None when none is left."""
        pending = self.pending()
        return self.at(pending[0]) if pending else None

    def handle(self, offsets: Sequence[timedelta]) -> ReminderPlan:
        handled = tuple(sorted(set(self.handled) | set(offsets), reverse=True))
        return ReminderPlan(valid_until=self.valid_until, offsets=self.offsets, handled=handled)

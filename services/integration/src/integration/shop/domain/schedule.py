"""Daily times of day (UTC) at which scheduled runs are due."""

from __future__ import annotations

from datetime import datetime, time, timedelta


def parse_time_of_day(text: str) -> time:
    """ "HH:MM" (24 h, UTC)."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{text!r} is not HH:MM")
    return time(int(hours), int(minutes))


def next_daily(at: time, now: datetime) -> datetime:
    """The first moment at `at` o'clock strictly after `now` (aware, same tz)."""
    candidate = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def last_daily(at: time, now: datetime) -> datetime:
    """The latest moment at `at` o'clock not after `now`."""
    return next_daily(at, now) - timedelta(days=1)

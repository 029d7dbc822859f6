"""Order numbers: gap-free per year, `CMD-2026-000001`. The counter lives in the
database (see db.next_order_number); this is only the format."""

from __future__ import annotations

PREFIX = "CMD"


def format_order_number(year: int, value: int) -> str:
    if value < 1:
        raise ValueError("order numbers start at 1")
    return f"{PREFIX}-{year}-{value:06d}"

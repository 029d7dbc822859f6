"""Quotation numbers: `OF-<year>-<sequence>`, gap-free per year (the sequence is drawn
from a per-year counter row in the creating transaction; see db.Quotations.next_number)."""

from __future__ import annotations

PREFIX = "OF"


def quotation_number(year: int, sequence: int) -> str:
    """`OF-2026-0001`: four digits at least, more once a year passes 9,999."""
    if sequence < 1:
        raise ValueError("a quotation sequence starts at 1")
    return f"{PREFIX}-{year:04d}-{sequence:04d}"

"""The rule that settles an uncertain call: did SmartBill create our document or not?

Before each call the intent records `floor`, the series' next number as last known
(SmartBill assigns numbers; ours can only be that one or a later one). Documents of one
SmartBill account are issued one at a time by this service, so after an uncertain
outcome the numbers that appeared in the series since the floor, minus the ones our
own documents already hold, are the only candidates. The document is:

* absent  — no unclaimed number appeared: nothing was created; sending again is safe;
* found   — exactly one candidate fits (its total equals ours, when SmartBill tells the
            total; otherwise it is the only new number);
* unknown — anything else (several fit, or new numbers none of which fits): someone
            else issued in the series meanwhile. We never guess: the document stops
            and waits for a person. A second invoice is worse than a late one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Candidate:
    number: int
    # The document's total as SmartBill reports it; None when the lookup gives none.
    total: Decimal | None


@dataclass(frozen=True)
class Found:
    number: int


@dataclass(frozen=True)
class Absent:
    pass


@dataclass(frozen=True)
class Unknown:
    numbers: tuple[int, ...]
    reason: str


Verdict = Found | Absent | Unknown


def unclaimed_numbers(floor: int, next_number: int, claimed: Collection[int]) -> list[int]:
    """Numbers issued in the series since the floor that none of our documents holds."""
    return [n for n in range(floor, next_number) if n not in claimed]


def decide(candidates: Sequence[Candidate], expected_total: Decimal | None) -> Verdict:
    """`candidates`: the unclaimed numbers that exist in SmartBill, with their totals."""
    if not candidates:
        return Absent()
    numbers = tuple(c.number for c in candidates)
    if expected_total is not None and all(c.total is not None for c in candidates):
        fitting = [c for c in candidates if c.total == expected_total]
        if len(fitting) == 1:
            return Found(fitting[0].number)
        if not fitting:
            return Unknown(numbers, f"new numbers {numbers} none of which totals {expected_total}")
        return Unknown(numbers, f"several new numbers total {expected_total}: {numbers}")
    if len(candidates) == 1:
        return Found(candidates[0].number)
    return Unknown(numbers, f"several new numbers in the series: {numbers}")

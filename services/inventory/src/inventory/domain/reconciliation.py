"""Reconciliation: recorded stock against the movement ledger and the units that
active reservations hold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class LedgerFigures:
    sku: str
    warehouse: str
    recorded_on_hand: int
    recorded_reserved: int
    ledger_on_hand: int
    ledger_reserved: int
    reservations_reserved: int


def reconcile(rows: Iterable[LedgerFigures]) -> list[tuple[LedgerFigures, str]]:
    """Every sku×warehouse whose recorded stock disagrees with the ledger or with the
    units held by active reservations, with a human description."""
    mismatches: list[tuple[LedgerFigures, str]] = []
    for r in rows:
        problems: list[str] = []
        if r.recorded_on_hand != r.ledger_on_hand:
            problems.append(f"on_hand {r.recorded_on_hand} but ledger says {r.ledger_on_hand}")
        if r.recorded_reserved != r.ledger_reserved:
            problems.append(f"reserved {r.recorded_reserved} but ledger says {r.ledger_reserved}")
        if r.recorded_reserved != r.reservations_reserved:
            problems.append(
                f"reserved {r.recorded_reserved} but reservations hold {r.reservations_reserved}"
            )
        if problems:
            mismatches.append((r, "; ".join(problems)))
    return mismatches

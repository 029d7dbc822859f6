"""Inventory persistence: the tables (`tables`), one repository per aggregate
(`reservations`, `stock` — the stock ledger —, `catalogue`) and the warehouses."""

from inventory.db.tables import metadata

__all__ = ["metadata"]

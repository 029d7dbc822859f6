"""Order numbers drawn from a per-year counter row (`CMD-2026-000001`), gap-free: the
counter row stays locked until the drawing transaction ends, and a rollback gives the
number back."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from cypher_runtime.db import UnitOfWork
from orders.db.tables import order_number_counters
from orders.domain.numbering import PREFIX, format_order_number


class OrderNumbers:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def assign(self, order_id: uuid.UUID, year: int) -> str:
        """Draw the next number of `year` and write it on the order, in one statement.

        Confirmations serialize on the counter row until commit, so the caller takes it
        last in its transaction."""
        result = await self.session.execute(
            text(
                """
                WITH drawn AS (
                    INSERT INTO order_number_counters (year, value) VALUES (:year, 1)
                    ON CONFLICT (year) DO UPDATE SET value = order_number_counters.value + 1
                    RETURNING value
                )
                UPDATE orders SET number = :prefix || CASE
                    WHEN drawn.value >= 1000000 THEN drawn.value::text  -- lpad would truncate
                    ELSE lpad(drawn.value::text, 6, '0') END
                FROM drawn WHERE orders.id = :order_id
                RETURNING orders.number
                """
            ),
            {"year": year, "prefix": f"{PREFIX}-{year}-", "order_id": order_id},
        )
        return str(result.scalar_one())

    async def next(self, year: int) -> str:
        """The next number of `year`, for a quote request (drawn before its row exists)."""
        first = insert(order_number_counters).values(year=year, value=1)
        bump = first.on_conflict_do_update(
            index_elements=["year"], set_={"value": order_number_counters.c.value + 1}
        ).returning(order_number_counters.c.value)
        return format_order_number(year, int((await self.session.execute(bump)).scalar_one()))

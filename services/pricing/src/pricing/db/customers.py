"""The customer tier aggregate's rows: each customer's tier (computed and overridden),
the orders whose net totals make up its rolling spend, and which customers exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from pricing.db.tables import CustomerOrderRow, CustomerTierRow, KnownCustomerRow
from pricing.domain.customer import CustomerTier
from pricing.domain.rules import Tier


def _tier_from_row(row: CustomerTierRow) -> CustomerTier:
    return CustomerTier(
        customer_id=row.customer_id,
        computed=Tier(row.computed_tier),
        override=Tier(row.override_tier) if row.override_tier else None,
        spend=row.monthly_spend,
        version=row.version,
    )


@dataclass(frozen=True, slots=True)
class StoredTier:
    state: CustomerTier
    updated_at: datetime | None


class Customers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: str) -> StoredTier | None:
        row = await self.session.get(CustomerTierRow, customer_id)
        return StoredTier(_tier_from_row(row), row.updated_at) if row is not None else None

    async def lock(self, customer_id: str, *, base: Tier, now: datetime) -> CustomerTier:
        """The customer's tier row, created at the base tier if new, locked for update."""
        await self.session.execute(
            insert(CustomerTierRow)
            .values(
                customer_id=customer_id,
                computed_tier=str(base),
                override_tier=None,
                monthly_spend=Decimal(0),
                version=0,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["customer_id"])
        )
        stmt = (
            select(CustomerTierRow)
            .where(col(CustomerTierRow.customer_id) == customer_id)
            .with_for_update()
        )
        return _tier_from_row((await self.session.execute(stmt)).scalar_one())

    async def save(self, state: CustomerTier, *, now: datetime) -> None:
        await self.session.execute(
            update(CustomerTierRow)
            .where(col(CustomerTierRow.customer_id) == state.customer_id)
            .values(
                computed_tier=str(state.computed),
                override_tier=str(state.override) if state.override else None,
                monthly_spend=state.spend,
                version=state.version,
                updated_at=now,
            )
        )

    async def spend(self, customer_id: str, *, now: datetime, window: timedelta) -> Decimal:
        """Sum of confirmed, not cancelled orders in (now − window, now]."""
        stmt = select(func.coalesce(func.sum(col(CustomerOrderRow.net_total)), 0)).where(
            col(CustomerOrderRow.customer_id) == customer_id,
            col(CustomerOrderRow.cancelled).is_(False),
            col(CustomerOrderRow.confirmed_at) > now - window,
            col(CustomerOrderRow.confirmed_at) <= now,
        )
        return Decimal((await self.session.execute(stmt)).scalar_one())

    # The two upserts below are the SQL form of domain.customer.order_confirmed /
    # order_cancelled: atomic, so a confirm and a cancel handled at the same time by two
    # replicas still merge to "cancelled".
    async def order_confirmed(
        self,
        *,
        order_id: str,
        customer_id: str,
        net_total: Decimal,
        currency: str,
        confirmed_at: datetime,
        now: datetime,
    ) -> None:
        stmt = insert(CustomerOrderRow).values(
            order_id=order_id,
            customer_id=customer_id,
            net_total=net_total,
            currency=currency,
            confirmed_at=confirmed_at,
            cancelled=False,
            updated_at=now,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["order_id"],
                set_={
                    "net_total": stmt.excluded.net_total,
                    "currency": stmt.excluded.currency,
                    "confirmed_at": stmt.excluded.confirmed_at,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )

    async def order_cancelled(
        self, *, order_id: str, customer_id: str, net_total: Decimal, currency: str, now: datetime
    ) -> None:
        stmt = insert(CustomerOrderRow).values(
            order_id=order_id,
            customer_id=customer_id,
            net_total=net_total,
            currency=currency,
            confirmed_at=None,
            cancelled=True,
            updated_at=now,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["order_id"],
                set_={"cancelled": True, "updated_at": stmt.excluded.updated_at},
            )
        )

    async def lock_all_for_sweep(self, *, limit: int) -> list[CustomerTier]:
        stmt = (
            select(CustomerTierRow)
            .where(col(CustomerTierRow.monthly_spend) > 0)
            .order_by(col(CustomerTierRow.customer_id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_tier_from_row(r) for r in (await self.session.execute(stmt)).scalars()]


class KnownCustomers:
    """The customers orders announced (customer.upserted) or placed orders for."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def exists(self, customer_id: str) -> bool:
        return await self.session.get(KnownCustomerRow, customer_id) is not None

    async def learn(self, customer_id: str, *, version: int, now: datetime) -> None:
        """Record the customer at `version`; an older or equal version changes nothing, so
        events applied out of order keep the newest."""
        stmt = insert(KnownCustomerRow).values(
            customer_id=customer_id, version=version, updated_at=now
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["customer_id"],
                set_={"version": stmt.excluded.version, "updated_at": stmt.excluded.updated_at},
                where=col(KnownCustomerRow.version) < stmt.excluded.version,
            )
        )

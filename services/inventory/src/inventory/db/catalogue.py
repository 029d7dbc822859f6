"""What inventory knows of the catalogue: the skus pricing announced with
`pricing.product.upserted` (consumed by a versioned subscription, so a late older event
never overwrites a newer one). Stock is only booked for a known sku."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from cypher_runtime.db import UnitOfWork
from inventory.db.tables import known_products
from inventory.errors import ProductUnknownYet


class Catalogue:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def learn(self, sku: str, version: int, now: datetime) -> None:
        stmt = insert(known_products).values(sku=sku, version=version, learned_at=now)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["sku"],
                set_={"version": stmt.excluded.version, "learned_at": stmt.excluded.learned_at},
                where=known_products.c.version < stmt.excluded.version,
            )
        )

    async def unknown(self, skus: Iterable[str]) -> list[str]:
        wanted = sorted(set(skus))
        known = set(
            (
                await self.session.execute(
                    select(known_products.c.sku).where(known_products.c.sku.in_(wanted))
                )
            ).scalars()
        )
        return [sku for sku in wanted if sku not in known]

    async def require_known(self, skus: Iterable[str]) -> None:
        missing = await self.unknown(skus)
        if missing:
            raise ProductUnknownYet(missing)

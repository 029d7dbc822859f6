"""The customers repository: load and save the customer aggregate."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping

from cypher_runtime.db import UnitOfWork
from orders.db.tables import customers
from orders.domain.customer import Customer


def customer_from_row(row: RowMapping) -> Customer:
    return Customer(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        company=row["company"],
        vat_code=row["vat_code"],
        address=row["address"],
        phone=row["phone"],
        reg_com=row["reg_com"],
        version=int(row["version"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class Customers:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def add(self, customer: Customer) -> bool:
        """False when the email is taken (unique, case-insensitive)."""
        result = await self.session.execute(
            insert(customers)
            .values(
                id=customer.id,
                name=customer.name,
                email=customer.email,
                email_lower=customer.email.lower(),
                company=customer.company,
                vat_code=customer.vat_code,
                address=customer.address,
                phone=customer.phone,
                reg_com=customer.reg_com,
                version=customer.version,
                created_at=customer.created_at,
                updated_at=customer.updated_at,
            )
            .on_conflict_do_nothing(index_elements=["email_lower"])
            .returning(customers.c.id)
        )
        return result.first() is not None

    async def get(self, customer_id: uuid.UUID, *, for_update: bool = False) -> Customer | None:
        stmt = select(customers).where(customers.c.id == customer_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).mappings().first()
        return customer_from_row(row) if row else None

    async def exists(self, customer_id: uuid.UUID) -> bool:
        stmt = select(customers.c.id).where(customers.c.id == customer_id)
        return (await self.session.execute(stmt)).first() is not None

    async def email_taken(self, email: str, *, other_than: uuid.UUID) -> bool:
        stmt = select(customers.c.id).where(
            customers.c.email_lower == email.lower(), customers.c.id != other_than
        )
        return (await self.session.execute(stmt)).first() is not None

    async def save(self, customer: Customer) -> None:
        await self.session.execute(
            update(customers)
            .where(customers.c.id == customer.id)
            .values(
                name=customer.name,
                email=customer.email,
                email_lower=customer.email.lower(),
                company=customer.company,
                vat_code=customer.vat_code,
                address=customer.address,
                phone=customer.phone,
                reg_com=customer.reg_com,
                version=customer.version,
                updated_at=customer.updated_at,
            )
        )

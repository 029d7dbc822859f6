"""Customer use cases: create, get, list, update (billing data, CUI checked)."""

from __future__ import annotations

import uuid

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database
from orders import db
from orders.domain.customer import Customer, clean_customer_fields
from orders.errors import CustomerNotFound, DuplicateEmail, VersionConflict

MAX_PAGE = 200
DEFAULT_PAGE = 50


def page_size(limit: int) -> int:
    return DEFAULT_PAGE if limit <= 0 else min(limit, MAX_PAGE)


class CustomerService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.db = database
        self.clock = clock

    async def create(
        self,
        *,
        name: str,
        email: str,
        company: str = "",
        vat_code: str = "",
        address: dict[str, str] | None = None,
        phone: str = "",
    ) -> Customer:
        fields = clean_customer_fields(
            name=name,
            email=email,
            company=company,
            vat_code=vat_code,
            phone=phone,
            address=address,
            creating=True,
        )
        now = self.clock.now()
        customer = Customer(id=uuid.uuid4(), created_at=now, updated_at=now, **fields)  # type: ignore[arg-type]
        async with self.db.unit_of_work() as uow:
            if not await db.insert_customer(uow.session, customer):
                raise DuplicateEmail(
                    f"a customer with email {customer.email} exists",
                    details={"email": customer.email},
                )
            await uow.commit()
        return customer

    async def get(self, customer_id: uuid.UUID) -> Customer:
        async with self.db.unit_of_work() as uow:
            customer = await db.get_customer(uow.session, customer_id)
        if customer is None:
            raise CustomerNotFound(
                f"customer {customer_id} not found", details={"customer_id": str(customer_id)}
            )
        return customer

    async def list(self, *, search: str, limit: int, cursor: str) -> tuple[list[Customer], str]:
        async with self.db.unit_of_work() as uow:
            return await db.list_customers(
                uow.session, search=search.strip(), limit=page_size(limit), cursor=cursor
            )

    async def update(
        self,
        customer_id: uuid.UUID,
        *,
        expected_version: int = 0,
        name: str | None = None,
        email: str | None = None,
        company: str | None = None,
        vat_code: str | None = None,
        address: dict[str, str] | None = None,
        phone: str | None = None,
    ) -> Customer:
        fields = clean_customer_fields(
            name=name,
            email=email,
            company=company,
            vat_code=vat_code,
            phone=phone,
            address=address,
            creating=False,
        )
        async with self.db.unit_of_work() as uow:
            customer = await db.get_customer(uow.session, customer_id, for_update=True)
            if customer is None:
                raise CustomerNotFound(
                    f"customer {customer_id} not found", details={"customer_id": str(customer_id)}
                )
            if expected_version and customer.version != expected_version:
                raise VersionConflict(
                    "the customer changed meanwhile",
                    details={"expected_version": expected_version, "version": customer.version},
                )
            if "email" in fields and await db.email_taken(
                uow.session, str(fields["email"]), other_than=customer_id
            ):
                raise DuplicateEmail(f"a customer with email {fields['email']} exists")
            for key, value in fields.items():
                setattr(customer, key, value)
            customer.version += 1
            customer.updated_at = self.clock.now()
            await db.save_customer(uow.session, customer)
            await uow.commit()
        return customer

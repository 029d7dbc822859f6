"""Customer use cases: create, read, update (billing data, CUI checked), each of which
publishes `customer.upserted`."""

from __future__ import annotations

import uuid

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from orders import events
from orders.db.customers import Customers
from orders.domain.customer import Customer, CustomerFields, clean_customer_fields, new_customer
from orders.errors import CustomerNotFound, DuplicateEmail


def _not_found(customer_id: uuid.UUID) -> CustomerNotFound:
    return CustomerNotFound(
        f"customer {customer_id} not found", details={"customer_id": str(customer_id)}
    )


class CustomerService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def create(self, uow: UnitOfWork, raw: CustomerFields) -> Customer:
        customer = new_customer(
            uuid.uuid4(), clean_customer_fields(raw, creating=True), at=self.clock.now()
        )
        if not await Customers(uow).add(customer):
            raise DuplicateEmail(
                f"a customer with email {customer.email} exists",
                details={"email": customer.email},
            )
        uow.publish(*events.customer_published(customer))
        return customer

    async def get(self, uow: UnitOfWork, customer_id: uuid.UUID) -> Customer:
        customer = await Customers(uow).get(customer_id)
        if customer is None:
            raise _not_found(customer_id)
        return customer

    async def update(
        self,
        uow: UnitOfWork,
        customer_id: uuid.UUID,
        raw: CustomerFields,
        *,
        expected_version: int = 0,
    ) -> Customer:
        fields = clean_customer_fields(raw, creating=False)
        customers = Customers(uow)
        customer = await customers.get(customer_id, for_update=True)
        if customer is None:
            raise _not_found(customer_id)
        customer.expect_version(expected_version)
        if fields.email is not None and await customers.email_taken(
            fields.email, other_than=customer_id
        ):
            raise DuplicateEmail(
                f"a customer with email {fields.email} exists", details={"email": fields.email}
            )
        customer.update(fields, at=self.clock.now())
        await customers.save(customer)
        uow.publish(*events.customer_published(customer))
        return customer

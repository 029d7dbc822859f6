"""Customers (orders service) with their tier (pricing service)."""

from __future__ import annotations

from cypher.orders.v1 import orders_pb2
from gateway.convert import TierName, time_of
from gateway.views.catalog import CustomerTier
from gateway.views.common import Address, Decimal, Out, Time, address_of


class Customer(Out):
    id: str
    name: str
    email: str
    company: str | None
    vat_code: str | None
    reg_com: str | None
    address: Address | None
    phone: str | None
    version: int
    created_at: Time | None
    updated_at: Time | None


class CustomerDetail(Customer):
    """A customer with its tier and 30-day spend; null when pricing does not answer."""

    tier: TierName | None
    monthly_spend: Decimal | None
    tier_details: CustomerTier | None


def customer_fields(c: orders_pb2.Customer) -> dict[str, object]:
    return {
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "company": c.company or None,
        "vat_code": c.vat_code or None,
        "reg_com": c.reg_com or None,
        "address": address_of(c, "address"),
        "phone": c.phone or None,
        "version": c.version,
        "created_at": time_of(c, "created_at"),
        "updated_at": time_of(c, "updated_at"),
    }


def customer_view(c: orders_pb2.Customer) -> Customer:
    return Customer.model_validate(customer_fields(c))


def customer_detail_view(c: orders_pb2.Customer, tier: CustomerTier | None) -> CustomerDetail:
    return CustomerDetail.model_validate(
        {
            **customer_fields(c),
            "tier": tier.tier if tier else None,
            "monthly_spend": tier.monthly_spend if tier else None,
            "tier_details": tier,
        }
    )

"""The ownership rules of gateway/ownership.py for staff and customer-bound callers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from gateway import ownership
from gateway.errors import ApiError
from gateway.security import Principal

MINE = str(uuid.uuid4())
THEIRS = uuid.uuid4()


def principal(customer_id: str | None, role: str = "partner") -> Principal:
    return Principal(
        user_id="u",
        role=role,
        jti="j",
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        customer_id=customer_id,
    )


PARTNER = principal(MINE)
STAFF = principal(None, role="sales")


def _not_found(call: object, code: str = "CUSTOMER_NOT_FOUND") -> None:
    assert isinstance(call, ApiError)
    assert call.status_code == 404
    assert call.code == code


def test_a_partner_names_only_its_own_customer_and_staff_anyone() -> None:
    ownership.check_customer(PARTNER, MINE)
    ownership.check_customer(STAFF, THEIRS)
    with pytest.raises(ApiError) as refused:
        ownership.check_customer(PARTNER, THEIRS)
    _not_found(refused.value)


def test_lists_are_forced_to_the_partners_customer() -> None:
    assert ownership.list_filter(PARTNER, None) == MINE
    assert ownership.list_filter(PARTNER, uuid.UUID(MINE)) == MINE
    assert ownership.list_filter(STAFF, None) == ""
    assert ownership.list_filter(STAFF, THEIRS) == str(THEIRS)
    with pytest.raises(ApiError) as refused:
        ownership.list_filter(PARTNER, THEIRS)
    _not_found(refused.value)


def test_a_create_names_the_partners_customer_implicitly() -> None:
    assert ownership.body_customer(PARTNER, None) == MINE
    assert ownership.body_customer(PARTNER, uuid.UUID(MINE)) == MINE
    assert ownership.body_customer(STAFF, THEIRS) == str(THEIRS)
    with pytest.raises(ApiError) as other:
        ownership.body_customer(PARTNER, THEIRS)
    _not_found(other.value)
    with pytest.raises(ApiError) as unnamed:
        ownership.body_customer(STAFF, None)
    assert unnamed.value.status_code == 400


def test_a_partner_sees_prices_of_its_own_tier_only() -> None:
    assert ownership.price_customer(PARTNER, THEIRS) == MINE
    assert ownership.price_customer(PARTNER, None) == MINE
    assert ownership.price_customer(STAFF, THEIRS) == str(THEIRS)
    assert ownership.price_customer(STAFF, None) == ""


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("ORDER_NOT_FOUND", "order"),
        ("QUOTATION_NOT_FOUND", "quotation"),
        ("INVOICE_NOT_FOUND", "invoice"),
    ],
)
def test_another_customers_object_is_the_same_404_as_a_missing_one(code: str, what: str) -> None:
    ownership.check_owner(PARTNER, MINE, code, what, "x")
    ownership.check_owner(STAFF, str(THEIRS), code, what, "x")
    with pytest.raises(ApiError) as refused:
        ownership.check_owner(PARTNER, str(THEIRS), code, what, "x")
    _not_found(refused.value, code)
    assert refused.value.details == {"id": "x"}


def test_every_rule_names_a_real_route_shape() -> None:
    for (method, path), rule in ownership.RULES.items():
        assert method in {"GET", "POST", "PUT", "PATCH", "DELETE"}
        assert path.startswith("/api/v1/"), path
        assert isinstance(rule, ownership.Rule)

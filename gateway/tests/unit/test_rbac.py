"""The role → permission table (BUSINESS_RULES.md "Gateway")."""

from __future__ import annotations

import pytest

from gateway import rbac
from gateway.rbac import Role


def test_admin_holds_every_permission() -> None:
    assert all(rbac.allowed("admin", p) for p in rbac.PERMISSIONS)


def test_user_role_is_read_only() -> None:
    held = rbac.permissions_of("user") - {"self:manage"}

    assert held
    assert all(p.endswith(":read") for p in held), held


@pytest.mark.parametrize(
    ("role", "permission", "expected"),
    [
        ("sales", "customers:write", True),
        ("sales", "orders:write", True),
        ("sales", "quotations:write", True),
        ("sales", "pricing:read", True),
        ("sales", "products:write", False),
        ("sales", "promotions:write", False),
        ("sales", "tiers:write", False),
        ("sales", "inventory:write", False),
        ("sales", "orders:money", False),
        ("warehouse", "inventory:write", True),
        ("warehouse", "orders:fulfil", True),
        ("warehouse", "orders:money", False),
        ("warehouse", "orders:write", False),
        ("finance", "orders:money", True),
        ("finance", "invoices:write", True),
        ("finance", "invoices:read", True),
        ("finance", "integrations:read", True),
        ("sales", "invoices:read", False),
        ("sales", "invoices:write", False),
        ("warehouse", "invoices:read", False),
        ("user", "invoices:read", False),
        ("sales", "integrations:read", False),
        ("finance", "orders:fulfil", False),
        ("finance", "inventory:write", False),
        ("user", "products:read", True),
        ("user", "users:admin", False),
        ("sales", "users:admin", False),
        ("admin", "webhooks:manage", True),
        ("sales", "webhooks:manage", False),
        ("warehouse", "webhooks:manage", False),
        ("finance", "webhooks:manage", False),
        ("user", "webhooks:manage", False),
    ],
)
def test_role_permission(role: str, permission: str, expected: bool) -> None:
    assert rbac.allowed(role, permission) is expected


def test_unknown_role_holds_nothing() -> None:
    assert not any(rbac.allowed("intruder", p) for p in rbac.PERMISSIONS)


def test_unknown_permission_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        rbac.allowed("admin", "products:delete-everything")


def test_every_role_can_manage_its_own_account() -> None:
    assert all(rbac.allowed(r.value, "self:manage") for r in Role)

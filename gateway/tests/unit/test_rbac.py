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
        ("partner", "webhooks:manage", True),
        ("sales", "api-keys:admin", False),
        # partner: catalogue, its own orders, quotations and invoices; nothing staff
        ("partner", "products:read", True),
        ("partner", "pricing:read", True),
        ("partner", "customers:read", True),
        ("partner", "orders:read", True),
        ("partner", "orders:write", True),
        ("partner", "quotations:read", True),
        ("partner", "invoices:read", True),
        ("partner", "self:manage", True),
        ("partner", "tiers:read", False),
        ("partner", "promotions:read", False),
        ("partner", "customers:write", False),
        ("partner", "orders:status", False),
        ("partner", "orders:fulfil", False),
        ("partner", "orders:money", False),
        ("partner", "quotations:write", False),
        ("partner", "invoices:write", False),
        ("partner", "inventory:read", False),
        ("partner", "inventory:write", False),
        ("partner", "suppliers:read", False),
        ("partner", "dashboard:read", False),
        ("partner", "integrations:read", False),
        ("partner", "users:admin", False),
        ("partner", "api-keys:admin", False),
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


def test_partner_holds_exactly_the_customer_facing_permissions() -> None:
    assert rbac.permissions_of("partner") == {
        "self:manage",
        "products:read",
        "pricing:read",
        "customers:read",
        "orders:read",
        "orders:write",
        "quotations:read",
        "invoices:read",
        "webhooks:manage",  # its own customer's endpoints (routes/webhooks.py scopes them)
    }


@pytest.mark.parametrize(
    ("role", "scopes", "permission", "expected"),
    [
        # a user's session (no scopes): the role's rights in full
        ("partner", None, "orders:write", True),
        # a key: role rights ∩ scope rights
        ("partner", {"orders:read"}, "orders:read", True),
        ("partner", {"orders:read"}, "customers:read", True),
        ("partner", {"orders:read"}, "orders:write", False),
        ("partner", {"catalogue:read"}, "pricing:read", True),
        ("partner", {"catalogue:read"}, "tiers:read", False),  # the role lacks it
        ("partner", {"inventory:write"}, "inventory:write", False),  # the role lacks it
        ("warehouse", {"inventory:write"}, "inventory:write", True),
        ("warehouse", {"inventory:write"}, "inventory:read", False),
        ("admin", {"catalogue:read"}, "users:admin", False),
        ("admin", set(), "products:read", False),
        ("sales", {"no-such:scope"}, "orders:read", False),
    ],
)
def test_key_rights_are_role_rights_intersected_with_scopes(
    role: str, scopes: set[str] | None, permission: str, expected: bool
) -> None:
    held = None if scopes is None else frozenset(scopes)
    assert rbac.principal_allowed(role, held, permission) is expected


def test_every_scope_opens_only_known_permissions() -> None:
    assert "api-keys:admin" not in rbac.SCOPES
    for scope, permissions in rbac.SCOPES.items():
        assert permissions <= set(rbac.PERMISSIONS), scope

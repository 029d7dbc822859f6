"""The one role → permission table of the gateway (BUSINESS_RULES.md "Gateway").

Every /api/v1 route declares exactly one permission through `deps.require(...)`;
this module decides which roles hold it. Adding an area = adding rows here.
Roles: admin (all), sales (customers, quotations, orders, prices read),
warehouse (inventory, order fulfilment statuses), finance (invoices, payments,
order money statuses), user (read-only), partner (a machine or person bound to ONE
customer: catalogue, its own orders, quotations and invoices — what it may see of them
is decided by `gateway.ownership`).

API keys carry scopes: a key's rights = its role's rights ∩ the permissions of its
scopes (`SCOPES`).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SALES = "sales"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    USER = "user"
    PARTNER = "partner"


ADMIN = Role.ADMIN
SALES = Role.SALES
WAREHOUSE = Role.WAREHOUSE
FINANCE = Role.FINANCE
USER = Role.USER
PARTNER = Role.PARTNER

# Every staff member may read the catalogue and prices ("user" = read-only).
_STAFF = frozenset(Role) - {PARTNER}
_READERS = _STAFF

# permission -> roles holding it. Admin is added to every row below (admin: all),
# so a row lists only the non-admin roles.
_TABLE: dict[str, frozenset[Role]] = {
    # own account (2FA setup, /auth/me) — any authenticated user
    "self:manage": _STAFF | {PARTNER},
    # identity
    "users:admin": frozenset(),
    "audit:read": frozenset(),
    # catalogue and pricing (pricing service)
    "products:read": _READERS | {PARTNER},
    "products:write": frozenset(),
    "pricing:read": _READERS | {PARTNER},
    "tiers:read": _READERS,
    "tiers:write": frozenset(),
    "promotions:read": _READERS,
    "promotions:write": frozenset(),
    # customers (orders service)
    "customers:read": frozenset({SALES, FINANCE, USER, PARTNER}),
    "customers:write": frozenset({SALES}),
    # inventory
    "inventory:read": frozenset({SALES, WAREHOUSE, USER}),
    "inventory:write": frozenset({WAREHOUSE}),
    "inventory:admin": frozenset(),  # reconciliation (admin only)
    # orders
    "orders:read": frozenset({SALES, WAREHOUSE, FINANCE, USER, PARTNER}),
    "orders:write": frozenset({SALES, PARTNER}),
    # fulfilment statuses: IN_PREPARATION, READY_TO_SHIP, SHIPPED, DELIVERED, shipments
    "orders:fulfil": frozenset({WAREHOUSE}),
    # money statuses: INVOICED, PAID, proforma
    "orders:money": frozenset({FINANCE}),
    # POST /orders/{id}/status: anyone who may set some status; the route then checks
    # the permission of the target status (orders:fulfil / orders:money / orders:write)
    "orders:status": frozenset({SALES, WAREHOUSE, FINANCE}),
    # quotations
    "quotations:read": frozenset({SALES, USER, PARTNER}),
    "quotations:write": frozenset({SALES}),
    # suppliers
    "suppliers:read": frozenset({SALES, WAREHOUSE, USER}),
    "suppliers:write": frozenset(),
    "supplier-orders:write": frozenset({WAREHOUSE}),
    # integration (invoices, payments, e-shop sync): finance and admin (issue 11); the
    # other roles see an order's invoice state in GET /orders/{id} (orders:read)
    "invoices:read": frozenset({FINANCE, PARTNER}),
    "invoices:write": frozenset({FINANCE}),
    "integrations:read": frozenset({FINANCE}),
    "integrations:write": frozenset(),
    # webhook endpoints and their deliveries: admin (all); a customer-bound principal
    # manages its own customer's (the route scopes by the principal's customer)
    "webhooks:manage": frozenset({PARTNER}),
    # API keys of machine clients (admin only)
    "api-keys:admin": frozenset(),
    # operations
    "dashboard:read": _READERS,
}

PERMISSIONS: dict[str, frozenset[Role]] = {name: roles | {ADMIN} for name, roles in _TABLE.items()}


# API key scopes → the permissions they open. Every permission is also a scope of its
# own name (fine-grained keys for staff automations); the named scopes below group the
# ones a partner system needs. Effective rights of a key = role rights ∩ these.
_NAMED_SCOPES: dict[str, frozenset[str]] = {
    "catalogue:read": frozenset({"products:read", "pricing:read", "tiers:read", "promotions:read"}),
    "orders:read": frozenset({"orders:read", "customers:read"}),
    "orders:write": frozenset({"orders:write"}),
    "quotations:read": frozenset({"quotations:read"}),
    "invoices:read": frozenset({"invoices:read"}),
}
SCOPES: dict[str, frozenset[str]] = {
    **{p: frozenset({p}) for p in _TABLE if p != "api-keys:admin"},
    **_NAMED_SCOPES,
}


def scope_permissions(scopes: frozenset[str] | None) -> frozenset[str] | None:
    """The permissions a set of scopes opens; None (no scopes = a user's session) = all."""
    if scopes is None:
        return None
    return frozenset(p for s in scopes for p in SCOPES.get(s, frozenset()))


def allowed(role: str, permission: str) -> bool:
    """True when `role` holds `permission`. An unknown permission is a programming error."""
    try:
        roles = PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}; add it to gateway/rbac.py") from None
    return role in roles


def permissions_of(role: str) -> frozenset[str]:
    """Every permission `role` holds (for /auth/me, so a frontend can hide what it cannot do)."""
    return frozenset(p for p, roles in PERMISSIONS.items() if role in roles)


def principal_allowed(role: str, scopes: frozenset[str] | None, permission: str) -> bool:
    """`allowed` for a caller that may be an API key: role rights ∩ scope rights."""
    if not allowed(role, permission):
        return False
    opened = scope_permissions(scopes)
    return opened is None or permission in opened

"""The one role → permission table of the gateway (BUSINESS_RULES.md "Gateway").

Every /api/v1 route declares exactly one permission through `deps.require(...)`;
this module decides which roles hold it. Adding an area = adding rows here.
Roles: admin (all), sales (customers, quotations, orders, prices read),
warehouse (inventory, order fulfilment statuses), finance (invoices, payments,
order money statuses), user (read-only).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SALES = "sales"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    USER = "user"


ADMIN = Role.ADMIN
SALES = Role.SALES
WAREHOUSE = Role.WAREHOUSE
FINANCE = Role.FINANCE
USER = Role.USER

# Everybody who is logged in may read the catalogue and prices ("user" = read-only).
_READERS = frozenset(Role)

# permission -> roles holding it. Admin is added to every row below (admin: all),
# so a row lists only the non-admin roles.
_TABLE: dict[str, frozenset[Role]] = {
    # own account (2FA setup, /auth/me) — any authenticated user
    "self:manage": _READERS,
    # identity
    "users:admin": frozenset(),
    "audit:read": frozenset(),
    # catalogue and pricing (pricing service)
    "products:read": _READERS,
    "products:write": frozenset(),
    "pricing:read": _READERS,
    "tiers:read": _READERS,
    "tiers:write": frozenset(),
    "promotions:read": _READERS,
    "promotions:write": frozenset(),
    # customers (orders service)
    "customers:read": frozenset({SALES, FINANCE, USER}),
    "customers:write": frozenset({SALES}),
    # inventory
    "inventory:read": frozenset({SALES, WAREHOUSE, USER}),
    "inventory:write": frozenset({WAREHOUSE}),
    "inventory:admin": frozenset(),  # reconciliation (admin only)
    # orders
    "orders:read": frozenset({SALES, WAREHOUSE, FINANCE, USER}),
    "orders:write": frozenset({SALES}),
    # fulfilment statuses: IN_PREPARATION, READY_TO_SHIP, SHIPPED, DELIVERED, shipments
    "orders:fulfil": frozenset({WAREHOUSE}),
    # money statuses: INVOICED, PAID, proforma
    "orders:money": frozenset({FINANCE}),
    # POST /orders/{id}/status: anyone who may set some status; the route then checks
    # the permission of the target status (orders:fulfil / orders:money / orders:write)
    "orders:status": frozenset({SALES, WAREHOUSE, FINANCE}),
    # quotations
    "quotations:read": frozenset({SALES, USER}),
    "quotations:write": frozenset({SALES}),
    # suppliers
    "suppliers:read": frozenset({SALES, WAREHOUSE, USER}),
    "suppliers:write": frozenset(),
    "supplier-orders:write": frozenset({WAREHOUSE}),
    # integration (invoices, payments, e-shop sync): finance and admin (issue 11); the
    # other roles see an order's invoice state in GET /orders/{id} (orders:read)
    "invoices:read": frozenset({FINANCE}),
    "invoices:write": frozenset({FINANCE}),
    "integrations:read": frozenset({FINANCE}),
    "integrations:write": frozenset(),
    # webhook endpoints and their deliveries: admin (all); a customer-bound principal
    # manages its own customer's (the route scopes by the principal's customer)
    "webhooks:manage": frozenset(),
    # operations
    "dashboard:read": _READERS,
}

PERMISSIONS: dict[str, frozenset[Role]] = {name: roles | {ADMIN} for name, roles in _TABLE.items()}


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

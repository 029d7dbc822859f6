"""Object-level authorization: the ONE place that decides which customer's data a
caller may see or change (OWASP API #1).

RBAC (`gateway.rbac`) says whether a role may use a route at all; this module says,
for a caller bound to a customer (a `partner` user or API key, `Principal.customer_id`),
which objects of that route are its own:

* another customer's object is a 404 with the same code as a missing one (never a 403,
  so ids cannot be probed);
* a list is forced to the caller's customer (a `customer_id` filter naming another
  customer is a 404 CUSTOMER_NOT_FOUND, as if that customer did not exist);
* a create names the caller's customer implicitly; a body `customer_id` naming another
  customer is a 404 CUSTOMER_NOT_FOUND (same reason).

Staff (customer_id None) pass through unchanged. `RULES` is the route → rule table,
pinned by gateway/tests/test_partner_routes.py (a route without a rule fails it) and
printed in gateway/README.md.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from cypher.integration.v1 import integration_pb2
from cypher.orders.v1 import orders_pb2
from cypher.quotations.v1 import quotations_pb2
from gateway.clients.integration import IntegrationClient
from gateway.clients.orders import OrdersClient
from gateway.clients.quotations import QuotationsClient
from gateway.errors import ApiError
from gateway.security import Principal


class Rule(StrEnum):
    """How a route treats a customer-bound caller."""

    PUBLIC = "public: no caller"
    SELF = "the caller's own account only"
    CATALOGUE = "not customer data (catalogue); prices computed for the caller's customer"
    STAFF_ONLY = "staff only: a partner is refused by RBAC (403)"
    OWN_CUSTOMER = "path customer_id must be the caller's customer, else 404"
    CUSTOMER_LIST = "list reduced to the caller's own customer"
    FORCED_FILTER = "list forced to customer_id = the caller's customer"
    FORCED_BODY = "create: customer_id is the caller's (another → 404)"
    OWN_ORDER = "the order must belong to the caller's customer, else 404"
    OWN_QUOTATION = "the quotation must belong to the caller's customer, else 404"
    OWN_INVOICE = "the document must belong to the caller's customer, else 404"
    INVOICES_OF_OWN_ORDER = "list: order_id required and must be the caller's order"
    OWN_WEBHOOK = (
        "webhook endpoints of the caller's customer only (integration scopes them by the "
        "principal's customer: another's → 404, a body customer_id of another → 400)"
    )


P = "/api/v1"
RULES: dict[tuple[str, str], Rule] = {
    # operations and identity
    ("GET", f"{P}/health"): Rule.PUBLIC,
    ("GET", f"{P}/ready"): Rule.PUBLIC,
    ("GET", f"{P}/metrics"): Rule.PUBLIC,
    ("POST", f"{P}/auth/login"): Rule.PUBLIC,
    ("POST", f"{P}/auth/refresh"): Rule.PUBLIC,
    ("POST", f"{P}/auth/logout"): Rule.SELF,
    ("GET", f"{P}/auth/me"): Rule.SELF,
    ("POST", f"{P}/auth/2fa/setup"): Rule.SELF,
    ("POST", f"{P}/auth/2fa/enable"): Rule.SELF,
    ("POST", f"{P}/auth/2fa/disable"): Rule.SELF,
    ("POST", f"{P}/users"): Rule.STAFF_ONLY,
    ("GET", f"{P}/users"): Rule.STAFF_ONLY,
    ("GET", f"{P}/users/{{user_id}}"): Rule.STAFF_ONLY,
    ("PATCH", f"{P}/users/{{user_id}}"): Rule.STAFF_ONLY,
    ("POST", f"{P}/api-keys"): Rule.STAFF_ONLY,
    ("GET", f"{P}/api-keys"): Rule.STAFF_ONLY,
    ("DELETE", f"{P}/api-keys/{{key_id}}"): Rule.STAFF_ONLY,
    # catalogue and prices
    ("POST", f"{P}/products"): Rule.STAFF_ONLY,
    ("GET", f"{P}/products"): Rule.CATALOGUE,
    ("GET", f"{P}/products/{{sku}}"): Rule.CATALOGUE,
    ("PATCH", f"{P}/products/{{sku}}"): Rule.STAFF_ONLY,
    ("GET", f"{P}/pricing/{{sku}}"): Rule.CATALOGUE,
    ("POST", f"{P}/pricing/quote"): Rule.CATALOGUE,
    ("GET", f"{P}/pricing/tiers"): Rule.STAFF_ONLY,
    ("PUT", f"{P}/customers/{{customer_id}}/tier"): Rule.STAFF_ONLY,
    ("POST", f"{P}/pricing/promotions"): Rule.STAFF_ONLY,
    ("GET", f"{P}/pricing/promotions"): Rule.STAFF_ONLY,
    ("POST", f"{P}/pricing/promotions/{{promotion_id}}/end"): Rule.STAFF_ONLY,
    # customers
    ("POST", f"{P}/customers"): Rule.STAFF_ONLY,
    ("GET", f"{P}/customers"): Rule.CUSTOMER_LIST,
    ("GET", f"{P}/customers/{{customer_id}}"): Rule.OWN_CUSTOMER,
    ("PATCH", f"{P}/customers/{{customer_id}}"): Rule.STAFF_ONLY,
    # orders
    ("POST", f"{P}/orders"): Rule.FORCED_BODY,
    ("GET", f"{P}/orders"): Rule.FORCED_FILTER,
    ("POST", f"{P}/orders/quote-requests"): Rule.FORCED_BODY,
    ("GET", f"{P}/orders/quote-requests"): Rule.FORCED_FILTER,
    ("GET", f"{P}/orders/{{order_id}}"): Rule.OWN_ORDER,
    ("GET", f"{P}/orders/{{order_id}}/history"): Rule.OWN_ORDER,
    ("POST", f"{P}/orders/{{order_id}}/status"): Rule.STAFF_ONLY,
    ("POST", f"{P}/orders/{{order_id}}/shipments"): Rule.STAFF_ONLY,
    ("POST", f"{P}/orders/{{order_id}}/deliveries"): Rule.STAFF_ONLY,
    ("POST", f"{P}/orders/{{order_id}}/cancel"): Rule.OWN_ORDER,
    ("POST", f"{P}/orders/{{order_id}}/returns"): Rule.OWN_ORDER,
    ("POST", f"{P}/orders/{{order_id}}/proforma"): Rule.STAFF_ONLY,
    # quotations
    ("POST", f"{P}/quotations"): Rule.STAFF_ONLY,
    ("POST", f"{P}/quotations/bulk"): Rule.STAFF_ONLY,
    ("GET", f"{P}/quotations"): Rule.FORCED_FILTER,
    ("GET", f"{P}/quotations/{{quotation_id}}"): Rule.OWN_QUOTATION,
    ("GET", f"{P}/quotations/{{quotation_id}}/pdf"): Rule.OWN_QUOTATION,
    # invoices (SmartBill documents)
    ("GET", f"{P}/invoices"): Rule.INVOICES_OF_OWN_ORDER,
    ("GET", f"{P}/invoices/{{invoice_id}}"): Rule.OWN_INVOICE,
    ("GET", f"{P}/invoices/{{invoice_id}}/pdf"): Rule.OWN_INVOICE,
    ("POST", f"{P}/invoices"): Rule.STAFF_ONLY,
    # staff areas: inventory, suppliers, supplier orders, quotation writes, e-shop,
    # integrations, dashboard
    ("GET", f"{P}/warehouses"): Rule.STAFF_ONLY,
    ("GET", f"{P}/inventory/low-stock"): Rule.STAFF_ONLY,
    ("POST", f"{P}/inventory/receipts"): Rule.STAFF_ONLY,
    ("POST", f"{P}/inventory/adjustments"): Rule.STAFF_ONLY,
    ("POST", f"{P}/inventory/transfers"): Rule.STAFF_ONLY,
    ("GET", f"{P}/inventory/{{sku}}"): Rule.STAFF_ONLY,
    ("GET", f"{P}/inventory/{{sku}}/movements"): Rule.STAFF_ONLY,
    ("PUT", f"{P}/inventory/{{sku}}/thresholds/{{warehouse}}"): Rule.STAFF_ONLY,
    ("GET", f"{P}/admin/inventory/reconcile"): Rule.STAFF_ONLY,
    ("POST", f"{P}/admin/inventory/reconcile"): Rule.STAFF_ONLY,
    ("PATCH", f"{P}/quotations/{{quotation_id}}"): Rule.STAFF_ONLY,
    ("POST", f"{P}/quotations/{{quotation_id}}/send"): Rule.STAFF_ONLY,
    ("POST", f"{P}/quotations/{{quotation_id}}/accept"): Rule.STAFF_ONLY,
    ("POST", f"{P}/quotations/{{quotation_id}}/reject"): Rule.STAFF_ONLY,
    ("POST", f"{P}/quotations/{{quotation_id}}/convert"): Rule.STAFF_ONLY,
    ("POST", f"{P}/suppliers"): Rule.STAFF_ONLY,
    ("GET", f"{P}/suppliers"): Rule.STAFF_ONLY,
    ("GET", f"{P}/suppliers/price-alerts"): Rule.STAFF_ONLY,
    ("POST", f"{P}/suppliers/price-alerts/{{alert_id}}/acknowledge"): Rule.STAFF_ONLY,
    ("GET", f"{P}/suppliers/offers/{{sku}}"): Rule.STAFF_ONLY,
    ("GET", f"{P}/suppliers/{{supplier_id}}"): Rule.STAFF_ONLY,
    ("PATCH", f"{P}/suppliers/{{supplier_id}}"): Rule.STAFF_ONLY,
    ("POST", f"{P}/suppliers/{{supplier_id}}/sync"): Rule.STAFF_ONLY,
    ("GET", f"{P}/suppliers/{{supplier_id}}/sync-runs"): Rule.STAFF_ONLY,
    ("POST", f"{P}/suppliers/{{supplier_id}}/mappings"): Rule.STAFF_ONLY,
    ("GET", f"{P}/suppliers/{{supplier_id}}/products"): Rule.STAFF_ONLY,
    (
        "GET",
        f"{P}/suppliers/{{supplier_id}}/products/{{supplier_sku}}/price-history",
    ): Rule.STAFF_ONLY,
    ("POST", f"{P}/supplier-orders"): Rule.STAFF_ONLY,
    ("GET", f"{P}/supplier-orders"): Rule.STAFF_ONLY,
    ("GET", f"{P}/supplier-orders/{{supplier_order_id}}"): Rule.STAFF_ONLY,
    ("POST", f"{P}/supplier-orders/{{supplier_order_id}}/status"): Rule.STAFF_ONLY,
    ("POST", f"{P}/supplier-orders/{{supplier_order_id}}/receipts"): Rule.STAFF_ONLY,
    ("POST", f"{P}/integrations/woocommerce/sync"): Rule.STAFF_ONLY,
    ("GET", f"{P}/integrations/woocommerce/status"): Rule.STAFF_ONLY,
    ("GET", f"{P}/integrations/status"): Rule.STAFF_ONLY,
    ("GET", f"{P}/dashboard"): Rule.STAFF_ONLY,
    # webhooks (issue 17): routes/webhooks.py passes the principal's customer as the owner
    ("POST", f"{P}/webhooks"): Rule.OWN_WEBHOOK,
    ("GET", f"{P}/webhooks"): Rule.OWN_WEBHOOK,
    ("GET", f"{P}/webhooks/{{webhook_id}}"): Rule.OWN_WEBHOOK,
    ("PATCH", f"{P}/webhooks/{{webhook_id}}"): Rule.OWN_WEBHOOK,
    ("DELETE", f"{P}/webhooks/{{webhook_id}}"): Rule.OWN_WEBHOOK,
    ("GET", f"{P}/webhooks/{{webhook_id}}/deliveries"): Rule.OWN_WEBHOOK,
    ("POST", f"{P}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/retry"): Rule.OWN_WEBHOOK,
}
# A new route needs a row here: gateway/tests/test_partner_routes.py walks the app's
# route table and fails on a route without one (and on a row without a route).


def rule_of(method: str, path: str) -> Rule | None:
    return RULES.get((method, path))


# --- the checks every route calls ----------------------------------------------------------


def _gone(code: str, what: str, ident: object) -> ApiError:
    return ApiError(404, code, f"no such {what}", {"id": str(ident)})


def customer_of(user: Principal) -> str | None:
    """The caller's customer, None for staff."""
    return user.customer_id


def check_customer(user: Principal, customer_id: uuid.UUID | str) -> None:
    """A path customer id: a partner may only name its own customer."""
    if user.customer_id is not None and str(customer_id) != user.customer_id:
        raise _gone("CUSTOMER_NOT_FOUND", "customer", customer_id)


def list_filter(user: Principal, requested: uuid.UUID | None) -> str:
    """The customer filter a list sends upstream ("" = all, staff only)."""
    if user.customer_id is None:
        return str(requested) if requested else ""
    if requested is not None and str(requested) != user.customer_id:
        raise _gone("CUSTOMER_NOT_FOUND", "customer", requested)
    return user.customer_id


def body_customer(user: Principal, given: uuid.UUID | None) -> str:
    """The customer a create names: the caller's own for a partner (another → 404);
    staff must name one (400)."""
    if user.customer_id is not None:
        if given is not None and str(given) != user.customer_id:
            raise _gone("CUSTOMER_NOT_FOUND", "customer", given)
        return user.customer_id
    if given is None:
        raise ApiError(
            400,
            "VALIDATION_ERROR",
            "customer_id is required",
            {"fields": {"customer_id": "required"}},
        )
    return str(given)


def price_customer(user: Principal, requested: uuid.UUID | None) -> str:
    """Whose prices: a partner always sees its own tier (any customer_id it sends is
    replaced, as prices are not another customer's object but its own view of them)."""
    if user.customer_id is not None:
        return user.customer_id
    return str(requested) if requested else ""


def check_owner(
    user: Principal, owner_customer_id: str, code: str, what: str, ident: object
) -> None:
    """An object fetched from upstream: a partner's only if its customer matches."""
    if user.customer_id is not None and owner_customer_id != user.customer_id:
        raise _gone(code, what, ident)


async def owned_order(
    user: Principal, orders: OrdersClient, order_id: uuid.UUID
) -> orders_pb2.GetOrderResponse | None:
    """Staff: None (no read needed). Partner: the order, when it is its own; else 404."""
    if user.customer_id is None:
        return None
    reply = await orders.get_order(str(order_id))
    check_owner(user, reply.order.customer_id, "ORDER_NOT_FOUND", "order", order_id)
    return reply


async def owned_quotation(
    user: Principal, quotations: QuotationsClient, quotation_id: uuid.UUID
) -> quotations_pb2.GetQuotationResponse | None:
    if user.customer_id is None:
        return None
    reply = await quotations.get(str(quotation_id))
    check_owner(user, reply.quotation.customer_id, "QUOTATION_NOT_FOUND", "quotation", quotation_id)
    return reply


async def owned_invoice(
    user: Principal, integration: IntegrationClient, invoice_id: uuid.UUID
) -> integration_pb2.GetInvoiceResponse | None:
    if user.customer_id is None:
        return None
    reply = await integration.get_invoice(str(invoice_id))
    check_owner(user, reply.invoice.customer_id, "INVOICE_NOT_FOUND", "invoice", invoice_id)
    return reply

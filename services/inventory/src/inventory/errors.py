"""Coded inventory errors on the grpc-free bases of `cypher_runtime.errors`; the
runtime's one mapping turns their kind into a gRPC status (and the gateway's into HTTP)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cypher_runtime.errors import (
    Conflict,
    Exhausted,
    IllegalState,
    NotFound,
    ValidationFailed,
)

__all__ = [
    "ExceedsReserved",
    "IdempotencyKeyReused",
    "InsufficientStock",
    "NegativeStock",
    "NothingReserved",
    "ProductUnknownYet",
    "ReservationExpired",
    "ReservationMismatch",
    "ReservationNotFound",
    "ReservationReleased",
    "SameWarehouse",
    "UnknownSku",
    "UnknownWarehouse",
    "ValidationFailed",
]


class InsufficientStock(Exhausted):
    """Not enough available units. `details.shortfall` maps sku → missing units; the
    orders service and the gateway read exactly that shape."""

    code = "INSUFFICIENT_STOCK"

    def __init__(self, shortfall: Mapping[str, int]) -> None:
        self.shortfall = dict(sorted(shortfall.items()))
        text = ", ".join(f"{sku}: {missing} missing" for sku, missing in self.shortfall.items())
        super().__init__(f"insufficient stock ({text})", details={"shortfall": self.shortfall})


class NegativeStock(IllegalState):
    code = "NEGATIVE_STOCK"

    def __init__(self, sku: str, warehouse: str, on_hand: int, reserved: int, delta: int) -> None:
        super().__init__(
            f"{sku} in {warehouse}: on hand {on_hand} (reserved {reserved})"
            f" cannot change by {delta}",
            details={
                "sku": sku,
                "warehouse": warehouse,
                "on_hand": on_hand,
                "reserved": reserved,
                "delta": delta,
            },
        )


class SameWarehouse(ValidationFailed):
    code = "SAME_WAREHOUSE"

    def __init__(self, warehouse: str) -> None:
        super().__init__(
            {"to_warehouse": "must differ from from_warehouse"},
            f"cannot transfer from {warehouse} to itself",
        )
        self.details["warehouse"] = warehouse


class UnknownWarehouse(NotFound):
    code = "UNKNOWN_WAREHOUSE"

    def __init__(self, warehouse: str) -> None:
        super().__init__(f"unknown warehouse {warehouse!r}", details={"warehouse": warehouse})


class UnknownSku(NotFound):
    """A catalogue product with no stock row anywhere: adjustments and transfers refuse
    it; a receipt creates its stock (a receipt is how a product enters the stock)."""

    code = "UNKNOWN_SKU"

    def __init__(self, sku: str) -> None:
        super().__init__(f"unknown sku {sku!r}", details={"sku": sku})


class ReservationNotFound(NotFound):
    code = "RESERVATION_NOT_FOUND"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"no reservation for order {order_id}", details={"order_id": order_id})


class ReservationReleased(IllegalState):
    code = "RESERVATION_RELEASED"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"the reservation of order {order_id} was released", details={"order_id": order_id}
        )


class ReservationExpired(IllegalState):
    code = "RESERVATION_EXPIRED"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"the reservation of order {order_id} expired", details={"order_id": order_id}
        )


class ReservationMismatch(Conflict):
    code = "RESERVATION_MISMATCH"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"order {order_id} is already reserved with other lines",
            details={"order_id": order_id},
        )


class ExceedsReserved(ValidationFailed):
    """A shipment names more units than are still reserved for the order."""

    code = "EXCEEDS_RESERVED"

    def __init__(self, excess: Mapping[str, int]) -> None:
        ordered = dict(sorted(excess.items()))
        super().__init__(
            {"lines": "ship at most what is reserved"}, "shipment exceeds what is reserved"
        )
        self.details["excess"] = ordered


class NothingReserved(IllegalState):
    code = "NOTHING_RESERVED"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"order {order_id} has nothing reserved to commit", details={"order_id": order_id}
        )


class ProductUnknownYet(IllegalState):
    """Stock named for a sku the catalogue has not announced. Inventory learns the
    catalogue from pricing's `product.upserted` events, asynchronously: a product created
    a moment ago becomes known within seconds (retry), a sku that does not exist never
    does. FAILED_PRECONDITION → 409."""

    code = "PRODUCT_UNKNOWN_YET"

    def __init__(self, skus: Sequence[str]) -> None:
        super().__init__(
            f"not in the catalogue (yet): {', '.join(skus)}; a product created moments ago"
            " is known to inventory within seconds, retry then",
            details={"skus": list(skus)},
        )


class IdempotencyKeyReused(IllegalState):
    """A receipt, adjustment or transfer repeated a key with a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self, key: str) -> None:
        super().__init__(
            "this idempotency key was used with a different request",
            details={"idempotency_key": key},
        )

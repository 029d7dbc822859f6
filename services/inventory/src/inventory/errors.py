"""Coded inventory errors; the runtime's one mapping turns their kind into a gRPC status."""

from __future__ import annotations

from collections.abc import Mapping

from cypher_runtime.errors import DomainError, ErrorKind, NotFound, ValidationFailed

__all__ = [
    "InsufficientStock",
    "NegativeStock",
    "ReservationExpired",
    "ReservationMismatch",
    "ReservationNotFound",
    "ReservationReleased",
    "SameWarehouse",
    "UnknownSku",
    "UnknownWarehouse",
    "ValidationFailed",
]


class InsufficientStock(DomainError):
    """Not enough available units. `details.shortfall` maps sku → missing units; the
    orders service and the gateway read exactly that shape."""

    code = "INSUFFICIENT_STOCK"
    kind = ErrorKind.EXHAUSTED

    def __init__(self, shortfall: Mapping[str, int]) -> None:
        self.shortfall = dict(sorted(shortfall.items()))
        text = ", ".join(f"{sku}: {missing} missing" for sku, missing in self.shortfall.items())
        super().__init__(f"insufficient stock ({text})", details={"shortfall": self.shortfall})


class NegativeStock(DomainError):
    code = "NEGATIVE_STOCK"
    kind = ErrorKind.PRECONDITION

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


class SameWarehouse(DomainError):
    code = "SAME_WAREHOUSE"
    kind = ErrorKind.INVALID

    def __init__(self, warehouse: str) -> None:
        super().__init__(
            f"cannot transfer from {warehouse} to itself", details={"warehouse": warehouse}
        )


class UnknownWarehouse(NotFound):
    code = "UNKNOWN_WAREHOUSE"

    def __init__(self, warehouse: str) -> None:
        super().__init__(f"unknown warehouse {warehouse!r}", details={"warehouse": warehouse})


class UnknownSku(NotFound):
    """An sku with no stock row anywhere: adjustments and transfers refuse it, receipts
    create it (a receipt is how a new product enters the stock)."""

    code = "UNKNOWN_SKU"

    def __init__(self, sku: str) -> None:
        super().__init__(f"unknown sku {sku!r}", details={"sku": sku})


class ReservationNotFound(NotFound):
    code = "RESERVATION_NOT_FOUND"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"no reservation for order {order_id}", details={"order_id": order_id})


class ReservationReleased(DomainError):
    code = "RESERVATION_RELEASED"
    kind = ErrorKind.PRECONDITION

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"the reservation of order {order_id} was released", details={"order_id": order_id}
        )


class ReservationExpired(DomainError):
    code = "RESERVATION_EXPIRED"
    kind = ErrorKind.PRECONDITION

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"the reservation of order {order_id} expired", details={"order_id": order_id}
        )


class ReservationMismatch(DomainError):
    code = "RESERVATION_MISMATCH"
    kind = ErrorKind.CONFLICT

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"order {order_id} is already reserved with other lines",
            details={"order_id": order_id},
        )


class ExceedsReserved(DomainError):
    """A shipment names more units than are still reserved for the order."""

    code = "EXCEEDS_RESERVED"
    kind = ErrorKind.INVALID

    def __init__(self, excess: Mapping[str, int]) -> None:
        super().__init__(
            "shipment exceeds what is reserved", details={"excess": dict(sorted(excess.items()))}
        )


class NothingReserved(DomainError):
    code = "NOTHING_RESERVED"
    kind = ErrorKind.PRECONDITION

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"order {order_id} has nothing reserved to commit", details={"order_id": order_id}
        )

"""Domain ↔ protobuf conversion shared by the gRPC servicer and the published events."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from cypher.inventory.v1 import inventory_pb2 as pb
from inventory.domain import MovementKind, ReleaseReason, Reservation, ReservationStatus, Warehouse

RESERVATION_STATUS: dict[ReservationStatus, pb.ReservationStatus.ValueType] = {
    ReservationStatus.PENDING: pb.RESERVATION_STATUS_PENDING,
    ReservationStatus.CONFIRMED: pb.RESERVATION_STATUS_CONFIRMED,
    ReservationStatus.PARTIALLY_COMMITTED: pb.RESERVATION_STATUS_PARTIALLY_COMMITTED,
    ReservationStatus.COMMITTED: pb.RESERVATION_STATUS_COMMITTED,
    ReservationStatus.RELEASED: pb.RESERVATION_STATUS_RELEASED,
    ReservationStatus.EXPIRED: pb.RESERVATION_STATUS_EXPIRED,
}

MOVEMENT_TYPE: dict[MovementKind, pb.MovementType.ValueType] = {
    MovementKind.RECEIPT: pb.MOVEMENT_TYPE_RECEIPT,
    MovementKind.ADJUSTMENT: pb.MOVEMENT_TYPE_ADJUSTMENT,
    MovementKind.RESERVATION: pb.MOVEMENT_TYPE_RESERVATION,
    MovementKind.RELEASE: pb.MOVEMENT_TYPE_RELEASE,
    MovementKind.SHIPMENT: pb.MOVEMENT_TYPE_SHIPMENT,
    MovementKind.RETURN: pb.MOVEMENT_TYPE_RETURN,
    # The wire has one TRANSFER type; the sign of on_hand_delta tells out from in.
    MovementKind.TRANSFER_OUT: pb.MOVEMENT_TYPE_TRANSFER,
    MovementKind.TRANSFER_IN: pb.MOVEMENT_TYPE_TRANSFER,
}

RELEASE_REASON: dict[ReleaseReason, pb.ReleaseReason.ValueType] = {
    ReleaseReason.UNSPECIFIED: pb.RELEASE_REASON_UNSPECIFIED,
    ReleaseReason.ORDER_CANCELLED: pb.RELEASE_REASON_ORDER_CANCELLED,
    ReleaseReason.EXPIRED: pb.RELEASE_REASON_EXPIRED,
    ReleaseReason.COMPENSATION: pb.RELEASE_REASON_COMPENSATION,
    ReleaseReason.MANUAL: pb.RELEASE_REASON_MANUAL,
}
RELEASE_REASON_OF = {v: k for k, v in RELEASE_REASON.items()}

KINDS_OF_TYPE: dict[pb.MovementType.ValueType, tuple[MovementKind, ...]] = {}
for _kind, _type in MOVEMENT_TYPE.items():
    KINDS_OF_TYPE[_type] = (*KINDS_OF_TYPE.get(_type, ()), _kind)


def timestamp(at: datetime | None) -> Timestamp | None:
    if at is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


def reservation_pb(res: Reservation) -> pb.Reservation:
    return pb.Reservation(
        id=res.id,
        order_id=res.order_id,
        status=RESERVATION_STATUS[res.status],
        allocations=[
            pb.Allocation(
                sku=a.sku,
                warehouse=a.warehouse,
                quantity=a.quantity,
                committed_quantity=a.committed,
            )
            for a in res.allocations
        ],
        backorders=[
            pb.Backorder(
                sku=b.sku,
                quantity=b.quantity,
                expected_date=b.expected_date.isoformat(),
                fulfilled_quantity=b.fulfilled,
            )
            for b in res.backorders
        ],
        created_at=timestamp(res.created_at),
        expires_at=timestamp(res.expires_at),
        updated_at=timestamp(res.updated_at),
        version=res.version,
    )


def warehouse_pb(w: Warehouse) -> pb.Warehouse:
    return pb.Warehouse(code=w.code, name=w.name, priority=w.priority, active=w.active)

"""The suppliers service: suppliers, their offers and supplier orders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cypher.suppliers.v1 import suppliers_pb2 as pb
from gateway.clients.base import UpstreamClient

if TYPE_CHECKING:
    from cypher.suppliers.v1.suppliers_pb2_grpc import SuppliersServiceAsyncStub as Stub
else:
    Stub = object


class SuppliersClient(UpstreamClient[Stub]):
    service = "suppliers"

    async def get_best_offer(self, sku: str, *, part: bool = False) -> pb.GetBestOfferResponse:
        return await self.read(self.stub.GetBestOffer, pb.GetBestOfferRequest(sku=sku), part=part)

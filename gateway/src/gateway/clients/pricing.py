"""The pricing service: products, prices, quotes, tiers and promotions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cypher.pricing.v1 import pricing_pb2 as pb
from gateway.clients.base import UpstreamClient

if TYPE_CHECKING:
    from cypher.pricing.v1.pricing_pb2_grpc import PricingServiceAsyncStub as Stub
else:
    Stub = object


class PricingClient(UpstreamClient[Stub]):
    service = "pricing"

    async def get_product(self, req: pb.GetProductRequest) -> pb.GetProductResponse:
        return await self.read(self.stub.GetProduct, req)

    async def list_products(self, req: pb.ListProductsRequest) -> pb.ListProductsResponse:
        return await self.read(self.stub.ListProducts, req)

    async def create_product(self, req: pb.CreateProductRequest) -> pb.CreateProductResponse:
        return await self.write(self.stub.CreateProduct, req)

    async def update_product(self, req: pb.UpdateProductRequest) -> pb.UpdateProductResponse:
        return await self.write(self.stub.UpdateProduct, req)

    async def get_price(
        self, req: pb.GetPriceRequest, *, part: bool = False
    ) -> pb.GetPriceResponse:
        return await self.read(self.stub.GetPrice, req, part=part)

    async def quote_lines(self, req: pb.QuoteLinesRequest) -> pb.QuoteLinesResponse:
        # Pricing a cart changes nothing: a read.
        return await self.read(self.stub.QuoteLines, req)

    async def list_tiers(self) -> pb.ListTiersResponse:
        return await self.read(self.stub.ListTiers, pb.ListTiersRequest())

    async def get_customer_tier(
        self, req: pb.GetCustomerTierRequest, *, part: bool = False
    ) -> pb.GetCustomerTierResponse:
        return await self.read(self.stub.GetCustomerTier, req, part=part)

    async def set_customer_tier_override(
        self, req: pb.SetCustomerTierOverrideRequest
    ) -> pb.SetCustomerTierOverrideResponse:
        # Setting an absolute value twice has the same effect: safe to retry.
        return await self.write(self.stub.SetCustomerTierOverride, req, idempotent=True)

    async def create_promotion(self, req: pb.CreatePromotionRequest) -> pb.CreatePromotionResponse:
        return await self.write(
            self.stub.CreatePromotion, req, idempotent=bool(req.idempotency_key)
        )

    async def list_promotions(self, req: pb.ListPromotionsRequest) -> pb.ListPromotionsResponse:
        return await self.read(self.stub.ListPromotions, req)

    async def end_promotion(self, req: pb.EndPromotionRequest) -> pb.EndPromotionResponse:
        return await self.write(self.stub.EndPromotion, req)

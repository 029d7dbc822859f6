"""A service process whose GetPrice takes a while: used to check that SIGTERM lets
in-flight calls finish and the process exit 0 (what a Kubernetes rollout relies on)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_runtime.app import Runtime
from cypher_runtime.logs import configure_logging
from cypher_runtime.settings import ServiceSettings


class SlowPricing(pricing_pb2_grpc.PricingServiceServicer):
    async def GetPrice(self, request: Any, context: Any) -> Any:
        await asyncio.sleep(float(os.environ["SLOW_SECONDS"]))
        return pricing_pb2.GetPriceResponse()


async def main() -> None:
    settings = ServiceSettings(
        database_url=os.environ["SLOW_DB_URL"],
        amqp_url=os.environ["SLOW_AMQP_URL"],
        events_exchange=os.environ["SLOW_EXCHANGE"],
        grpc_port=int(os.environ["SLOW_GRPC_PORT"]),
        http_port=int(os.environ["SLOW_HTTP_PORT"]),
        bind_host="127.0.0.1",
        shutdown_grace_seconds=10,
    )
    configure_logging("slow", settings.log_level)
    runtime = Runtime("slow", settings)
    runtime.add_grpc(
        "cypher.pricing.v1.PricingService",
        lambda server: pricing_pb2_grpc.add_PricingServiceServicer_to_server(
            SlowPricing(),  # type: ignore[abstract]
            server,
        ),
    )
    await runtime.run()


asyncio.run(main())

"""SIGTERM is a rollout, not a crash: calls in flight finish, then the process exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc

from cypher.pricing.v1 import pricing_pb2, pricing_pb2_grpc
from cypher_testkit.broker import BrokerScope
from cypher_testkit.processes import ServiceProcess
from cypher_testkit.proxy import free_port

SLOW_SERVICE = Path(__file__).with_name("slow_service.py")
SLOW_SECONDS = 2.0


async def test_sigterm_lets_the_call_in_flight_finish_and_exits_0(
    database_factory: Callable[[str, Path | None], Awaitable[str]],
    broker_scope: BrokerScope,
    tmp_path: Path,
) -> None:
    grpc_port, http_port = free_port(), free_port()
    process = ServiceProcess(
        [sys.executable, str(SLOW_SERVICE)],
        {
            "SLOW_DB_URL": await database_factory("graceful", None),
            "SLOW_AMQP_URL": broker_scope.amqp_url,
            "SLOW_EXCHANGE": broker_scope.exchange,
            "SLOW_GRPC_PORT": str(grpc_port),
            "SLOW_HTTP_PORT": str(http_port),
            "SLOW_SECONDS": str(SLOW_SECONDS),
            "PYTHONPATH": os.pathsep.join(sys.path),
        },
        tmp_path / "slow.log",
    )
    process.start()
    try:
        await process.wait_http(f"http://127.0.0.1:{http_port}/ready", timeout=60)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            stub = pricing_pb2_grpc.PricingServiceStub(channel)
            call = asyncio.ensure_future(
                stub.GetPrice(pricing_pb2.GetPriceRequest(sku="LED-1", quantity=1), timeout=20)
            )
            await asyncio.sleep(0.5)  # the call is in the servicer now
            assert process.proc is not None
            os.killpg(process.proc.pid, signal.SIGTERM)
            started = time.monotonic()
            reply = await call  # answered, not cancelled by the shutdown
            assert isinstance(reply, pricing_pb2.GetPriceResponse)
        code = await asyncio.to_thread(process.proc.wait, 15)
        assert code == 0, process.logs()[-3000:]
        assert time.monotonic() - started < 12
        assert '"stopped"' in process.logs() or "stopped" in process.logs()
    finally:
        process.kill()

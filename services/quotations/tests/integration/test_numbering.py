"""Quotation numbers are gap-free per year, whatever the concurrency."""

from __future__ import annotations

import asyncio

import grpc

from .harness import Stack


async def test_concurrent_creations_get_consecutive_numbers_and_failures_leave_no_gap(
    stack: Stack,
) -> None:
    await stack.product("N-1")
    customers = [await stack.customer(f"Client {i} SRL") for i in range(4)]
    missing = "00000000-0000-4000-8000-000000000000"

    refusals: list[grpc.StatusCode] = []

    async def one(i: int) -> str | None:
        # Some are refused (unknown sku by pricing, unknown customer by orders) while
        # the others queue on the year's counter row: no refusal may leave a gap.
        lines = {"N-1": 1 + i} if i % 3 else {"N-1": 1, "MISSING-SKU": 1}
        customer = customers[i % 4] if i % 5 else missing
        # A client retries what did not answer in time (the shared machine is slow at
        # times) with the same key: the retry gets the first one's quotation, if any.
        for _ in range(5):
            try:
                reply = await stack.create(customer, lines, idempotency_key=f"n-{i}")
            except grpc.aio.AioRpcError as err:
                if err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    continue
                refusals.append(err.code())
                return None
            return reply.quotation.number
        raise AssertionError(f"creation {i} never answered")

    numbers = [n for n in await asyncio.gather(*(one(i) for i in range(30))) if n]
    year = numbers[0].split("-")[1]
    assert sorted(numbers) == [f"OF-{year}-{k:04d}" for k in range(1, len(numbers) + 1)]
    assert len(numbers) == sum(1 for i in range(30) if i % 3 and i % 5)
    assert set(refusals) == {grpc.StatusCode.NOT_FOUND}
    rows = await stack.sql("SELECT value FROM quotation_number_counters")
    assert rows[0][0] == len(numbers)

"""Each fault mode of the fake SmartBill: the uncertain outcome (timeout after the work),
a 5xx, business refusals with HTTP 200, SmartBill down, the 403 block. Never a second
invoice, never a gap in the series, nothing lost."""

from __future__ import annotations

import asyncio

import httpx

from cypher.integration.v1 import integration_pb2 as pb
from cypher_testkit.polling import eventually

from .harness import Harness


def numbers(docs: list[dict[str, object]]) -> list[int]:
    return sorted(int(str(d["number"])) for d in docs)


async def test_a_timeout_after_the_work_still_makes_exactly_one_invoice_and_no_gap(
    harness: Harness,
) -> None:
    first = await harness.deliver()
    await harness.issued(first)
    await harness.fault("timeout", 1, method="POST", path="/invoice")
    second = await harness.deliver(number="CMD-2025-000002")
    third = await harness.deliver(number="CMD-2025-000003")

    invoice = await harness.issued(second, timeout=30)
    await harness.issued(third, timeout=30)
    docs = await harness.documents("FL")
    assert numbers(docs) == [1, 2, 3]  # no gap, no duplicate
    assert invoice.number == "0002"
    assert invoice.attempts == 1  # found by the lookup, never sent again
    posts = [r for r in await harness.requests() if r["method"] == "POST"]
    assert len(posts) == 3


async def test_a_5xx_is_looked_up_and_sent_again_only_because_nothing_was_created(
    harness: Harness,
) -> None:
    await harness.fault("http500", 1, method="POST", path="/invoice")
    order_id = await harness.deliver()
    invoice = await harness.issued(order_id)
    assert invoice.attempts == 2
    assert numbers(await harness.documents("FL")) == [1]


async def test_an_error_text_with_http_200_is_a_visible_refusal_retried_a_bounded_number_of_times(
    harness: Harness,
) -> None:
    await harness.fault("error_text", 10, method="POST", path="/invoice")
    order_id = await harness.deliver()
    await harness.issued_or_recorded(order_id)  # the consumer recorded the intent

    failed = await harness.invoice_when(
        order_id,
        lambda i: i.status == pb.DOCUMENT_STATUS_FAILED and i.attempts == 3,
        what="invoice FAILED after 3 attempts",
    )
    assert "indisponibil" in failed.error
    await asyncio.sleep(2.5)  # well past the retry backoff: no silent loop
    posts = [r for r in await harness.requests() if r["method"] == "POST"]
    assert len(posts) == 3
    assert await harness.documents("FL") == []
    # A person asks again (POST /invoices): it goes out once the refusals stop.
    await harness.fault("none", 0)
    reply = await harness.stub.CreateInvoice(pb.CreateInvoiceRequest(order_id=order_id))
    assert reply.replayed
    await harness.issued(order_id)


async def test_one_refusal_is_retried_after_the_backoff(harness: Harness) -> None:
    await harness.fault("error_text", 1, method="POST", path="/invoice")
    order_id = await harness.deliver()
    invoice = await harness.issued(order_id)
    assert invoice.attempts == 2
    assert numbers(await harness.documents("FL")) == [1]


async def test_smartbill_down_work_waits_then_goes_out_in_order_each_once(
    harness: Harness,
) -> None:
    await harness.proxy.stop()
    orders = [await harness.deliver(number=f"CMD-2025-{i:06d}") for i in range(1, 6)]

    async def breaker() -> pb.CircuitBreakerStatus:
        return (await harness.status()).circuit_breakers[0]

    opened = await eventually(breaker, lambda b: b.state == pb.CIRCUIT_STATE_OPEN, timeout=15)
    assert opened.name == "smartbill"
    assert opened.last_error
    status = await harness.status()
    assert status.backlog.pending_invoices == 5
    await asyncio.sleep(1.5)  # a half-open trial fails too while it is down
    assert await harness.documents("FL") == []

    await harness.proxy.start()
    issued = [await harness.issued(o, timeout=30) for o in orders]
    # In the order the intents were recorded (the consumer may record five deliveries
    # in any order), each once, with no gap in the series.
    by_intent = sorted(issued, key=lambda i: i.created_at.ToDatetime())
    assert [i.number for i in by_intent] == ["0001", "0002", "0003", "0004", "0005"]
    closed = await breaker()
    assert closed.state == pb.CIRCUIT_STATE_CLOSED
    status = await harness.status()
    assert status.backlog.pending_invoices == 0
    runs = {r.name: r for r in status.last_syncs}
    assert runs["smartbill_invoices"].last_status == "succeeded"
    posts = [r for r in await harness.requests() if r["method"] == "POST"]
    assert len(posts) == 5


async def test_the_rate_limit_headers_keep_our_calls_under_the_limit(harness: Harness) -> None:
    # Two calls left in SmartBill's window: we wait for its reset instead of a 403.
    await harness.rate_limit(limit=3, window_seconds=4, block_seconds=600)
    orders = [await harness.deliver(number=f"CMD-2025-{i:06d}") for i in range(1, 4)]
    for order_id in orders:
        await harness.issued(order_id, timeout=30)
    assert all(r["status"] != 403 for r in await harness.requests())


async def test_a_403_block_opens_the_breaker_until_the_block_ends(harness: Harness) -> None:
    await harness.rate_limit(limit=4, window_seconds=60, block_seconds=4)
    first = await harness.deliver()
    await harness.issued(first)  # 2 calls: GET /series, POST /invoice
    # Another client of the same account uses the rest and gets it blocked for 4 s.
    theirs = 0
    async with httpx.AsyncClient(
        base_url=harness.fakes.smartbill_api_url,
        auth=(harness.fakes.smartbill_email, harness.fakes.smartbill_token),
    ) as other:
        for _ in range(5):
            reply = await other.get("/series", params={"cif": harness.fakes.smartbill_cif})
            if reply.status_code == 403:
                theirs = 1
                break
    assert theirs == 1
    second = await harness.deliver(number="CMD-2025-000002")

    async def breaker() -> pb.CircuitBreakerStatus:
        return (await harness.status()).circuit_breakers[0]

    opened = await eventually(breaker, lambda b: b.state == pb.CIRCUIT_STATE_OPEN, timeout=10)
    assert "403" in opened.last_error
    # Open until the block ends (~4 s), not just for the breaker's own reset time (1 s).
    wait = opened.next_attempt_at.ToDatetime() - opened.opened_at.ToDatetime()
    assert wait.total_seconds() >= 2.5
    await asyncio.sleep(1.5)
    assert (await breaker()).state == pb.CIRCUIT_STATE_OPEN
    ours = [r for r in await harness.requests() if r["status"] == 403][theirs:]
    # The first 403 opens the breaker: at most the calls already in flight (the issuer's
    # and the payment poll's) meet the block; nothing hammers the blocked account.
    assert 1 <= len(ours) <= 2
    await harness.rate_limit(limit=30, window_seconds=10, block_seconds=600)
    await harness.issued(second, timeout=15)
    assert (await breaker()).state == pb.CIRCUIT_STATE_CLOSED
    assert numbers(await harness.documents("FL")) == [1, 2]


async def test_forty_deliveries_at_once_never_get_the_account_blocked(harness: Harness) -> None:
    orders = await asyncio.gather(
        *(harness.deliver(number=f"CMD-2025-{i:06d}") for i in range(1, 41))
    )
    for order_id in orders:
        await harness.issued(order_id, timeout=60)
    calls = await harness.requests()
    assert all(r["status"] != 403 for r in calls)
    assert numbers(await harness.documents("FL")) == list(range(1, 41))

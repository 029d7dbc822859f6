"""Use cases with in-memory fakes (no I/O): what is stored, published and refused."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from cypher.quotations.v1 import events_pb2 as ev
from cypher_runtime.clock import FixedClock
from quotations.domain.lines import LineRequest
from quotations.domain.model import Status
from quotations.errors import DomainError, IdempotencyKeyReused, NotDraft
from quotations.service import CreateQuotation, Policy, QuotationsService, UpdateQuotation

from .factories import T0
from .fakes import FakeOrders, FakePricing, FakeQuotations, FakeUow, Store

DAY = timedelta(days=1)


@pytest.fixture
def world() -> tuple[QuotationsService, Store, FakePricing, uuid.UUID, FixedClock]:
    store = Store()
    customer = uuid.uuid4()
    pricing = FakePricing({"A-1": "10.00", "B-2": "2.50"})
    clock = FixedClock(T0)
    service = QuotationsService(
        pricing=pricing,
        orders=FakeOrders({customer}),
        clock=clock,
        policy=Policy(validity=15 * DAY, reminders=(7 * DAY, DAY)),
        render=lambda q: f"PDF {q.number}".encode(),
        repository=lambda uow: FakeQuotations(store),
    )
    return service, store, pricing, customer, clock


World = tuple[QuotationsService, Store, FakePricing, uuid.UUID, FixedClock]


def cmd(customer: uuid.UUID, **kwargs: object) -> CreateQuotation:
    lines = kwargs.pop(
        "lines", [LineRequest("A-1", 2), LineRequest("B-2", 1), LineRequest("A-1", 1)]
    )
    return CreateQuotation(customer_id=customer, lines=lines, **kwargs)  # type: ignore[arg-type]


async def test_create_merges_lines_numbers_and_announces(world: World) -> None:
    service, store, _, customer, _ = world
    uow = FakeUow()
    q, replayed = await service.create(uow, cmd(customer))
    assert not replayed
    assert (q.number, q.status) == ("OF-2026-0001", Status.DRAFT)
    assert [(ln.sku, ln.quantity) for ln in q.lines] == [("A-1", 3), ("B-2", 1)]
    assert [type(e.message) for e in uow.events] == [ev.QuotationCreated]
    assert uow.events[0].aggregate_id == str(q.id)
    assert store.counters == {2026: 1}


async def test_a_key_replays_its_quotation_and_refuses_another_body(world: World) -> None:
    service, store, _, customer, _ = world
    first, _ = await service.create(FakeUow(), cmd(customer, idempotency_key="k"))
    again, replayed = await service.create(FakeUow(), cmd(customer, idempotency_key="k"))
    assert (again.id, replayed) == (first.id, True)
    with pytest.raises(IdempotencyKeyReused):
        await service.create(FakeUow(), cmd(customer, idempotency_key="k", notes="other"))
    assert store.counters == {2026: 1}


async def test_refused_creations_draw_no_number(world: World) -> None:
    service, store, _, customer, _ = world
    for bad in (cmd(uuid.uuid4()), cmd(customer, lines=[LineRequest("NOPE", 1)])):
        with pytest.raises(DomainError):
            await service.create(FakeUow(), bad)
    assert store.rows == {}
    assert store.counters == {}


async def test_patch_of_a_sent_quotation_is_refused_before_any_pricing(world: World) -> None:
    service, store, pricing, customer, _ = world
    q, _ = await service.create(FakeUow(), cmd(customer))
    await service.send(FakeUow(), q.id)
    calls = pricing.calls
    with pytest.raises(NotDraft):
        await service.update(
            FakeUow(), UpdateQuotation(quotation_id=q.id, lines=[LineRequest("A-1", 9)])
        )
    assert pricing.calls == calls
    assert store.rows[q.id][0].status is Status.SENT


async def test_send_keeps_the_pdf_and_puts_it_in_the_event(world: World) -> None:
    service, store, _, customer, _ = world
    q, _ = await service.create(FakeUow(), cmd(customer))
    uow = FakeUow()
    sent = await service.send(uow, q.id, message="Bună ziua")
    assert sent.valid_until == T0 + 15 * DAY
    assert store.documents[q.id] == ("OF-2026-0001.pdf", b"PDF OF-2026-0001")
    (event,) = uow.events
    assert isinstance(event.message, ev.QuotationSent)
    assert (event.message.pdf, event.message.message) == (b"PDF OF-2026-0001", "Bună ziua")
    assert event.message.recipient_email == "ion@lumina.ro"


async def test_the_sweep_reminds_each_once_then_expires(world: World) -> None:
    service, store, _, customer, clock = world
    q, _ = await service.create(FakeUow(), cmd(customer))
    await service.send(FakeUow(), q.id)
    clock.set(T0 + 8 * DAY)
    uow = FakeUow()
    assert await service.remind_due(uow, 10) == 1
    assert await service.remind_due(uow, 10) == 0
    assert [e.message.seconds_before_expiry for e in uow.events] == [7 * 86400]  # type: ignore[attr-defined]
    clock.set(T0 + 15 * DAY)
    assert await service.remind_due(FakeUow(), 10) == 0
    assert await service.expire_due(FakeUow(), 10) == 1
    assert await service.expire_due(FakeUow(), 10) == 0
    assert store.rows[q.id][0].status is Status.EXPIRED


async def test_bulk_reports_each_failing_customer_and_creates_the_others(world: World) -> None:
    service, store, _, customer, _ = world
    missing = str(uuid.uuid4())
    result = await service.bulk_create(
        FakeUow(), [str(customer), missing, "bad", str(customer)], [LineRequest("A-1", 1)]
    )
    assert [q.customer_id for q in result.created] == [customer]
    assert [(f.customer_id, f.error.code) for f in result.failures] == [
        (missing, "CUSTOMER_NOT_FOUND"),
        ("bad", "VALIDATION_ERROR"),
    ]
    assert len(store.rows) == 1

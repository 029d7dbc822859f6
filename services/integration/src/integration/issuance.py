"""Issuing documents in SmartBill: one call at a time per account, in the order the
intents were stored, each document once.

Crash and failure guarantees (each numbered point is its own transaction):
1. The intent — IN_FLIGHT, with the series' next number as the floor — is committed
   before the call goes out.
2. The outcome is committed after it: ISSUED with SmartBill's number (and
   invoice.created in the outbox, same transaction), FAILED on a refusal, QUEUED again
   when SmartBill certainly did nothing (no connection, blocked, circuit open), or
   UNCERTAIN when it may have acted (timeout, broken answer, 5xx).
3. An UNCERTAIN document — or one still IN_FLIGHT after a crash between 1 and 2 — is
   settled before anything else is sent: the numbers that appeared in the series since
   the floor are looked up (domain/reconciliation.py). Found → ISSUED with that number;
   absent → QUEUED and sent again; anything else → FAILED for review. It is never sent
   again on a guess, so there is never a second invoice and never a burned number.
Only one process drains at a time (a PostgreSQL advisory lock held on its own
connection, released by the server if the process dies), which is what makes "the new
numbers in the series since the floor" a short, checkable list.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from enum import Enum

from sqlalchemy import text

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database
from integration.db.documents import Documents, record_run
from integration.domain.documents import DocRef, Document, DocumentKind, Phase
from integration.domain.reconciliation import (
    Absent,
    Candidate,
    Found,
    Unknown,
    Verdict,
    decide,
    unclaimed_numbers,
)
from integration.errors import UpstreamUnavailable
from integration.ports import LinkPort, SmartBillPort
from integration.service import InvoicingService
from integration.smartbill.outcomes import NotSent, Refused, SmartBillError, Uncertain

log = logging.getLogger(__name__)

# pg advisory lock key of "the SmartBill account's issuing" (any constant unique in the DB).
ISSUING_LOCK = 0x5B1_0001
RUN_NAME = "smartbill_invoices"
# More unknown numbers than this since our floor: someone issues in bulk by hand; a
# person compares, we do not look up hundreds of documents.
MAX_LOOKUPS = 20


class Step(Enum):
    NEXT = "next"  # did something; go on
    IDLE = "idle"  # nothing to do
    WAIT = "wait"  # SmartBill (or pricing) unavailable: stop until later


def series_type(kind: DocumentKind) -> str:
    return "p" if kind == DocumentKind.PROFORMA else "f"


def number_text(number: int, example: str | None) -> str:
    """SmartBill's spelling of a number: as wide as the series' numbers ("0023")."""
    if example and example.isdigit() and example.startswith("0"):
        return str(number).zfill(len(example))
    return str(number)


class Issuer:
    def __init__(
        self,
        db: Database,
        service: InvoicingService,
        smartbill: SmartBillPort,
        link: LinkPort,
        clock: Clock,
        *,
        idle_seconds: float,
    ) -> None:
        self.db = db
        self.service = service
        self.smartbill = smartbill
        self.link = link
        self.clock = clock
        self.idle_seconds = idle_seconds
        self.wakeup = asyncio.Event()
        self._draining = asyncio.Lock()
        self._next: dict[str, int] = {}  # series → next number as last seen
        self._examples: dict[str, str] = {}  # series → a number as SmartBill spells it
        self.last_error = ""

    def nudge(self) -> None:
        self.wakeup.set()

    # -- the job ----------------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            self.wakeup.clear()
            try:
                await self.drain()
            except Exception:  # a bug must not stop issuing; the documents stay safe
                log.exception("issuing round failed")
            await self._pause()

    async def _pause(self) -> None:
        wait = self.idle_seconds
        due = self.link.status().next_attempt_at
        if due is not None:
            wait = min(wait, max((due - self.clock.now()).total_seconds(), 0.05))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wakeup.wait(), wait)

    async def drain(self) -> int:
        """Issue everything due; returns the number of steps that did something."""
        async with self._draining, self._account_lock() as held:
            if not held:
                return 0
            done = 0
            self.last_error = ""
            while (step := await self.step()) is Step.NEXT:
                done += 1
            if done or step is Step.WAIT:
                async with self.db.unit_of_work() as uow:
                    await record_run(
                        uow,
                        RUN_NAME,
                        at=self.clock.now(),
                        ok=step is not Step.WAIT,
                        error=self.last_error,
                    )
                    await uow.commit()
            return done

    @contextlib.asynccontextmanager
    async def _account_lock(self) -> AsyncIterator[bool]:
        async with self.db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            held = bool(
                (
                    await auto.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ISSUING_LOCK})
                ).scalar()
            )
            try:
                yield held
            finally:
                if held:
                    await auto.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ISSUING_LOCK})

    # -- one step -----------------------------------------------------------------------------
    async def step(self) -> Step:
        if not self.link.ready():
            self.last_error = self.link.status().last_error or "circuit open"
            return Step.WAIT
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            repo = Documents(uow)
            doc = await repo.next_to_dispatch(now)
            if doc is None:
                return Step.IDLE
            if doc.phase == Phase.FAILED:  # a refusal whose retry is due
                doc.retry(now)
            if doc.phase == Phase.IN_FLIGHT:  # the process died while the call was out
                doc.uncertain("the call's outcome was never recorded", now)
            if doc.phase == Phase.UNCERTAIN:
                await self.service.save(uow, repo, doc)
                await uow.commit()
                return await self._settle(doc.id)
            if doc.draft is None:
                try:
                    await self.service.prepare(uow, repo, doc)
                except UpstreamUnavailable as exc:
                    self.last_error = exc.message
                    return Step.WAIT
                await uow.commit()
                return Step.NEXT
            try:
                floor = await self._floor(doc)
            except SmartBillError as exc:
                self.last_error = exc.message
                return Step.WAIT
            doc.begin_attempt(floor, now)
            await self.service.save(uow, repo, doc)
            await uow.commit()  # 1. the intent, before the call
        return await self._send(doc)

    async def _floor(self, doc: Document) -> int:
        known = self._next.get(doc.series)
        if known is None:
            known = await self.smartbill.next_number(doc.series, series_type(doc.kind))
            self._next[doc.series] = known
        return known

    async def _call(self, doc: Document) -> DocRef:
        assert doc.draft is not None
        if doc.kind == DocumentKind.CREDIT_NOTE and doc.storno:
            assert doc.credit_of_ref is not None
            return await self.smartbill.reverse_invoice(doc.credit_of_ref, doc.draft.issue_date)
        kind = "estimate" if doc.kind == DocumentKind.PROFORMA else "invoice"
        return await self.smartbill.create_document(
            kind=kind, series=doc.series, draft=doc.draft, estimate=doc.estimate
        )

    async def _send(self, doc: Document) -> Step:
        ref: DocRef | None = None
        failure: SmartBillError | None = None
        started = time.monotonic()
        try:
            ref = await self._call(doc)
        except SmartBillError as exc:
            failure = exc
        async with self.db.unit_of_work() as uow:  # 2. the outcome
            repo = Documents(uow)
            current = await repo.get(doc.id, for_update=True)
            assert current is not None
            assert current.phase == Phase.IN_FLIGHT
            now = self.clock.now()
            step = Step.NEXT
            if ref is not None:
                current.issued(ref.number, now)
                self._learned(current.series, ref.number)
                log.info(
                    "document issued",
                    extra={
                        "id": str(current.id),
                        "kind": current.kind.value,
                        "number": f"{ref.series} {ref.number}",
                        "seconds": round(time.monotonic() - started, 3),
                    },
                )
            elif isinstance(failure, Refused):
                current.refused(failure.message, now, self.service.refusal_retry_at(current, now))
                log.warning(
                    "SmartBill refused a document",
                    extra={"id": str(current.id), "error": failure.message},
                )
            elif isinstance(failure, NotSent):
                current.not_sent(failure.message, now)
                self.last_error = failure.message
                step = Step.WAIT
            else:
                assert isinstance(failure, Uncertain)
                current.uncertain(failure.message, now)
                self._next.pop(current.series, None)
                self.last_error = failure.message
                log.warning(
                    "SmartBill call outcome unknown",
                    extra={"id": str(current.id), "error": failure.message},
                )
            await self.service.save(uow, repo, current)
            await uow.commit()
        return step

    def _learned(self, series: str, number: str) -> None:
        if number.isdigit():
            self._next[series] = max(self._next.get(series, 0), int(number) + 1)
            self._examples[series] = number

    # -- 3. settling an uncertain outcome ----------------------------------------------------
    async def _settle(self, document_id: uuid.UUID) -> Step:
        try:
            verdict = await self._look_up(document_id)
        except SmartBillError as exc:
            self.last_error = exc.message
            return Step.WAIT
        async with self.db.unit_of_work() as uow:
            repo = Documents(uow)
            doc = await repo.get(document_id, for_update=True)
            if doc is None or doc.phase != Phase.UNCERTAIN:
                return Step.NEXT
            now = self.clock.now()
            if isinstance(verdict, Found):
                number = number_text(verdict.number, self._examples.get(doc.series))
                doc.issued(number, now)
                self._learned(doc.series, number)
                log.info(
                    "uncertain call settled: issued", extra={"id": str(doc.id), "number": number}
                )
            elif isinstance(verdict, Absent):
                doc.absent(now)
                log.info("uncertain call settled: not created", extra={"id": str(doc.id)})
            else:
                doc.unresolved(verdict.reason, now)
                log.error(
                    "uncertain call unresolved", extra={"id": str(doc.id), "reason": verdict.reason}
                )
            await self.service.save(uow, repo, doc)
            await uow.commit()
        return Step.NEXT

    async def _look_up(self, document_id: uuid.UUID) -> Verdict:
        async with self.db.unit_of_work() as uow:
            repo = Documents(uow)
            doc = await repo.get(document_id)
            assert doc is not None
            if doc.estimate is not None:
                made = await self.smartbill.estimate_invoices(doc.estimate)
                made_here = {
                    int(r.number)
                    for r in made or []
                    if r.series == doc.series and r.number.isdigit()
                }
                held = await repo.claimed_numbers(
                    doc.series, min(made_here, default=0), max(made_here, default=0) + 1
                )
                return decide([Candidate(n, None) for n in sorted(made_here - held)], None)
            next_number = await self.smartbill.next_number(doc.series, series_type(doc.kind))
            self._next[doc.series] = next_number
            highest = await repo.highest_number(doc.series)
            if highest is not None:
                self._examples.setdefault(doc.series, highest)
            floor = doc.number_floor if doc.number_floor is not None else next_number
            if highest is not None and highest.isdigit():
                # A last document deleted by hand lowers the series: look from our last.
                floor = min(floor, int(highest) + 1)
            claimed = await repo.claimed_numbers(doc.series, floor, next_number)
        numbers = unclaimed_numbers(floor, next_number, claimed)
        if len(numbers) > MAX_LOOKUPS:
            return Unknown(tuple(numbers), f"{len(numbers)} new numbers in {doc.series} since ours")
        candidates: list[Candidate] = []
        example = self._examples.get(doc.series)
        for n in numbers:
            ref = DocRef(doc.series, number_text(n, example))
            if doc.kind == DocumentKind.PROFORMA:
                if await self.smartbill.estimate_invoices(ref) is not None:
                    candidates.append(Candidate(n, None))
            else:
                total = await self.smartbill.invoice_total(ref)
                if total is not None:
                    candidates.append(Candidate(n, total))
        expected = None
        if doc.kind != DocumentKind.PROFORMA and doc.draft is not None:
            expected = doc.draft.totals.gross
        return decide(candidates, expected)

    # -- waiting for an outcome (POST /invoices) -----------------------------------------------
    async def wait_settled(self, document_id: uuid.UUID, timeout: float) -> None:
        """Until the document leaves the queue (issued, refused…) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        self.nudge()
        while time.monotonic() < deadline:
            async with self.db.unit_of_work() as uow:
                doc = await Documents(uow).get(document_id)
            if doc is None or not doc.phase.pending:
                return
            await asyncio.sleep(0.05)

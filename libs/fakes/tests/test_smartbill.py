"""The SmartBill fake over real HTTP, as the integration service's client will meet it."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from cypher_testkit.fakes import Fakes
from cypher_testkit.polling import eventually

from .smartbill_calls import client, invoice_body, ref


async def control(fakes: Fakes, method: str, path: str, **kwargs: object) -> httpx.Response:
    async with httpx.AsyncClient(base_url=fakes.smartbill_url, timeout=10) as c:
        return await c.request(method, path, **kwargs)  # type: ignore[arg-type]


async def test_wrong_token_is_refused_with_401_and_rate_limit_headers(fakes: Fakes) -> None:
    async with client(fakes, token="wrong") as sb:
        reply = await sb.post("/invoice", json=invoice_body(fakes))
    assert reply.status_code == 401
    assert reply.json()["errorText"]
    assert reply.headers["X-RateLimit-Limit"] == "30"
    assert "X-RateLimit-Remaining" in reply.headers
    assert "X-RateLimit-Reset" in reply.headers
    assert (await control(fakes, "GET", "/_fake/documents")).json() == []


async def test_numbers_are_gap_free_and_zero_padded_per_series(fakes: Fakes) -> None:
    async with client(fakes) as sb:
        fl = await asyncio.gather(
            *(sb.post("/invoice", json=invoice_body(fakes)) for _ in range(6))
        )
        fct = [await sb.post("/invoice", json=invoice_body(fakes, "FCT")) for _ in range(2)]
        series = (await sb.get("/series", params={"cif": fakes.smartbill_cif, "type": "f"})).json()
    assert sorted(r.json()["number"] for r in fl) == [
        "0001",
        "0002",
        "0003",
        "0004",
        "0005",
        "0006",
    ]
    assert {r.json()["series"] for r in fl} == {"FL"}
    assert [r.json()["number"] for r in fct] == ["0001", "0002"]
    assert {s["name"]: s["nextNumber"] for s in series["list"]} == {"FL": 7, "FCT": 3}


async def test_over_the_rate_limit_blocks_the_account_until_the_block_ends(fakes: Fakes) -> None:
    reply = await control(
        fakes,
        "POST",
        "/_fake/ratelimit",
        json={"limit": 3, "window_seconds": 30, "block_seconds": 1},
    )
    assert reply.status_code == 200
    async with client(fakes) as sb:
        tax = {"cif": fakes.smartbill_cif}
        allowed = [await sb.get("/tax", params=tax) for _ in range(3)]
        over = await sb.get("/tax", params=tax)
        still_blocked = await sb.get("/tax", params=tax)
        started = time.monotonic()
        after = await eventually(
            lambda: sb.get("/tax", params=tax), lambda r: r.status_code == 200, timeout=5
        )
    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
    assert over.status_code == 403
    assert over.json()["errorText"]
    assert still_blocked.status_code == 403
    assert over.headers["X-RateLimit-Remaining"] == "0"
    assert time.monotonic() - started < 3
    assert after.json()["taxes"]


async def test_timeout_fault_issues_the_invoice_then_answers_too_late(fakes: Fakes) -> None:
    armed = await control(
        fakes,
        "POST",
        "/_fake/faults",
        json={
            "mode": "timeout",
            "count": 1,
            "delay_seconds": 3,
            "method": "POST",
            "path": "/invoice",
        },
    )
    assert armed.status_code == 200
    async with client(fakes, timeout=0.5) as sb:
        # Calls that do not match the fault's filter are answered at once.
        assert (await sb.get("/tax", params={"cif": fakes.smartbill_cif})).status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            await sb.post("/invoice", json=invoice_body(fakes))
    documents = (await control(fakes, "GET", "/_fake/documents")).json()
    assert [(d["series"], d["number"]) for d in documents] == [("FL", "0001")]
    async with client(fakes) as sb:  # the fault is spent: the next call is prompt
        again = await sb.post("/invoice", json=invoice_body(fakes))
    assert again.json()["number"] == "0002"


async def test_error_text_and_http500_faults_do_no_work(fakes: Fakes) -> None:
    async with client(fakes) as sb:
        await control(fakes, "POST", "/_fake/faults", json={"mode": "error_text", "count": 1})
        soft = await sb.post("/invoice", json=invoice_body(fakes))
        await control(fakes, "POST", "/_fake/faults", json={"mode": "http500", "count": 1})
        hard = await sb.post("/invoice", json=invoice_body(fakes))
        ok = await sb.post("/invoice", json=invoice_body(fakes))
    assert soft.status_code == 200
    assert soft.json()["errorText"]
    assert soft.json()["number"] == ""
    assert hard.status_code == 500
    assert ok.json()["number"] == "0001"


async def test_business_errors_arrive_as_200_with_error_text_or_as_400(fakes: Fakes) -> None:
    bad_tax = invoice_body(fakes)
    bad_tax["products"][0]["taxPercentage"] = 17
    async with client(fakes) as sb:
        tax = await sb.post("/invoice", json=bad_tax)
        no_client = await sb.post("/invoice", json=invoice_body(fakes, client={"name": ""}))
        series = await sb.post("/invoice", json=invoice_body(fakes, "NOPE"))
        cif = await sb.post("/invoice", json=invoice_body(fakes, companyVatCode="RO999"))
        bad_json = await sb.post(
            "/invoice", content=b"{not json", headers={"Content-Type": "application/json"}
        )
    assert tax.status_code == 200
    assert "TVA" in tax.json()["errorText"]
    assert no_client.status_code == 200
    assert no_client.json()["errorText"]
    assert series.status_code == 400
    assert series.json()["errorText"]
    assert cif.status_code == 400
    assert bad_json.status_code == 400
    assert (await control(fakes, "GET", "/_fake/documents")).json() == []


async def test_payment_status_follows_payments_from_the_control_api_and_the_api(
    fakes: Fakes,
) -> None:
    async with client(fakes) as sb:
        created = (await sb.post("/invoice", json=invoice_body(fakes))).json()
        where = ref(fakes, "FL", created["number"])
        before = (await sb.get("/invoice/paymentstatus", params=where)).json()
        paid = await control(
            fakes, "POST", "/_fake/payments", json={"series": "FL", "number": "0001", "amount": 100}
        )
        partial = (await sb.get("/invoice/paymentstatus", params=where)).json()
        recorded = await sb.post(
            "/payment",
            json={
                "companyVatCode": fakes.smartbill_cif,
                "value": 142,
                "type": "Ordin plata",
                "invoicesList": [{"seriesName": "FL", "number": "0001"}],
            },
        )
        full = (await sb.get("/invoice/paymentstatus", params=where)).json()
    assert before["invoiceTotalAmount"] == 242.0
    assert before["unpaidAmount"] == 242.0
    assert before["paid"] is False
    assert paid.status_code == 200
    assert partial["paidAmount"] == 100.0
    assert partial["unpaidAmount"] == 142.0
    assert recorded.json()["errorText"] == ""
    assert full["paid"] is True
    assert full["unpaidAmount"] == 0.0


async def test_storno_cancel_restore_and_delete_only_the_last(fakes: Fakes) -> None:
    async with client(fakes) as sb:
        for _ in range(2):
            await sb.post("/invoice", json=invoice_body(fakes))
        storno = (
            await sb.post(
                "/invoice/reverse",
                json={
                    "companyVatCode": fakes.smartbill_cif,
                    "seriesName": "FL",
                    "number": "0001",
                    "issueDate": "2026-12-04",
                },
            )
        ).json()
        cancel = await sb.put("/invoice/cancel", params=ref(fakes, "FL", "0002"))
        cancel_again = await sb.put("/invoice/cancel", params=ref(fakes, "FL", "0002"))
        restore = await sb.put("/invoice/restore", params=ref(fakes, "FL", "0002"))
        delete_middle = await sb.delete("/invoice", params=ref(fakes, "FL", "0002"))
        delete_last = await sb.delete("/invoice", params=ref(fakes, "FL", "0003"))
        reused = (await sb.post("/invoice", json=invoice_body(fakes))).json()
    assert storno["number"] == "0003"
    assert storno["series"] == "FL"
    assert cancel.json()["errorText"] == ""
    assert cancel_again.json()["errorText"]
    assert restore.json()["errorText"] == ""
    assert delete_middle.json()["errorText"]
    assert delete_last.json()["errorText"] == ""
    assert reused["number"] == "0003"  # the deleted last number is issued again
    docs = {d["number"]: d for d in (await control(fakes, "GET", "/_fake/documents")).json()}
    assert docs["0001"]["reversed_by"] is None  # its storno was deleted
    assert docs["0003"]["kind"] == "invoice"


async def test_pdf_is_a_real_pdf_as_octet_stream(fakes: Fakes) -> None:
    async with client(fakes) as sb:
        await sb.post("/invoice", json=invoice_body(fakes))
        reply = await sb.get(
            "/invoice/pdf",
            params=ref(fakes, "FL", "0001"),
            headers={"Accept": "application/octet-stream"},
        )
        missing = await sb.get("/invoice/pdf", params=ref(fakes, "FL", "0099"))
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/octet-stream"
    assert reply.content.startswith(b"%PDF-")
    assert reply.content.rstrip().endswith(b"%%EOF")
    assert missing.status_code == 400
    assert missing.json()["errorText"]


async def test_invoice_from_estimate_uses_its_details_once(fakes: Fakes) -> None:
    async with client(fakes) as sb:
        estimate = (await sb.post("/estimate", json=invoice_body(fakes, "PF"))).json()
        before = (await sb.get("/estimate/invoices", params=ref(fakes, "PF", "0001"))).json()
        from_estimate = {
            "companyVatCode": fakes.smartbill_cif,
            "seriesName": "FL",
            "useEstimateDetails": True,
            "estimate": {"seriesName": "PF", "number": estimate["number"]},
        }
        invoice = (await sb.post("/invoice", json=from_estimate)).json()
        twice = (await sb.post("/invoice", json=from_estimate)).json()
        after = (await sb.get("/estimate/invoices", params=ref(fakes, "PF", "0001"))).json()
        status = (await sb.get("/invoice/paymentstatus", params=ref(fakes, "FL", "0001"))).json()
        estimate_pdf = await sb.get("/estimate/pdf", params=ref(fakes, "PF", "0001"))
        cancel = await sb.put("/estimate/cancel", params=ref(fakes, "PF", "0001"))
    assert estimate == {"errorText": "", "message": "", "number": "0001", "series": "PF", "url": ""}
    assert before["areInvoicesCreated"] is False
    assert invoice["number"] == "0001"
    assert invoice["series"] == "FL"
    assert twice["errorText"]
    assert after == {
        "errorText": "",
        "message": "",
        "areInvoicesCreated": True,
        "invoices": [{"series": "FL", "number": "0001"}],
    }
    assert status["invoiceTotalAmount"] == 242.0
    assert estimate_pdf.content.startswith(b"%PDF-")
    assert cancel.json()["errorText"] == ""


async def test_configuration_calls_list_taxes_and_series(fakes: Fakes) -> None:
    async with client(fakes) as sb:
        taxes = (await sb.get("/tax", params={"cif": fakes.smartbill_cif})).json()
        estimates = (
            await sb.get("/series", params={"cif": fakes.smartbill_cif, "type": "p"})
        ).json()
    assert {"name": "Normala", "percentage": 21} in [
        {"name": t["name"], "percentage": t["percentage"]} for t in taxes["taxes"]
    ]
    assert estimates["list"] == [{"name": "PF", "nextNumber": 1, "type": "p"}]


async def test_every_call_is_logged_for_tests(fakes: Fakes) -> None:
    async with client(fakes) as sb:
        await sb.post("/invoice", json=invoice_body(fakes))
        await sb.get("/tax", params={"cif": fakes.smartbill_cif})
    log = (await control(fakes, "GET", "/_fake/requests")).json()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("POST", "/SBORO/api/invoice", 200),
        ("GET", "/SBORO/api/tax", 200),
    ]
    assert log[0]["body"]["seriesName"] == "FL"


async def test_control_api_refuses_bad_input_with_field_errors(fakes: Fakes) -> None:
    fault = await control(fakes, "POST", "/_fake/faults", json={"mode": "explode", "count": -1})
    payment = await control(fakes, "POST", "/_fake/payments", json={"series": "FL", "amount": "x"})
    assert fault.status_code == 400
    assert set(fault.json()["fields"]) == {"mode", "count"}
    assert payment.status_code == 400
    assert set(payment.json()["fields"]) == {"number", "amount"}

"""Factories for SmartBill calls against the fake, as a real client would make them."""

from __future__ import annotations

from typing import Any

import httpx

from cypher_testkit.fakes import Fakes


def client(fakes: Fakes, *, token: str | None = None, timeout: float = 10) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=fakes.smartbill_api_url,
        auth=(fakes.smartbill_email, token or fakes.smartbill_token),
        headers={"Accept": "application/json"},
        timeout=timeout,
    )


def invoice_body(fakes: Fakes, series: str = "FL", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "companyVatCode": fakes.smartbill_cif,
        "client": {"name": "Lumina Construct SRL", "vatCode": "RO18547290", "country": "Romania"},
        "issueDate": "2026-12-03",
        "seriesName": series,
        "currency": "RON",
        "products": [
            {
                "name": "Panou LED 60x60 40W 4000K",
                "code": "LED-PANEL-60",
                "measuringUnitName": "buc",
                "currency": "RON",
                "quantity": 2,
                "price": 100,
                "isTaxIncluded": False,
                "taxName": "Normala",
                "taxPercentage": 21,
            }
        ],
    }
    body.update(overrides)
    return body


def ref(fakes: Fakes, series: str, number: str) -> dict[str, str]:
    return {"cif": fakes.smartbill_cif, "seriesname": series, "number": number}

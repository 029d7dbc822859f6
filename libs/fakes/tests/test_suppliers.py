"""The supplier sites over real HTTP, read the way the suppliers service will read them."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import httpx

from cypher_testkit.fakes import Fakes

SUPPLIERS = ("aca", "braytron", "masterled", "fsl", "arelux")


def site(fakes: Fakes) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=fakes.suppliers_url, timeout=10)


async def items(fakes: Fakes, supplier: str) -> dict[str, dict[str, Any]]:
    async with site(fakes) as s:
        return {i["supplier_sku"]: i for i in (await s.get(f"/_fake/{supplier}/items")).json()}


def aca_rows(html: str) -> list[tuple[str, str]]:
    return re.findall(
        r'<td class="cod">([^<]+)</td>.*?<td class="pret">([^<]+)</td>', html, flags=re.S
    )


async def test_every_site_lists_30_to_60_items_some_unmapped(fakes: Fakes) -> None:
    for supplier in SUPPLIERS:
        listed = list((await items(fakes, supplier)).values())
        assert 30 <= len(listed) <= 60, supplier
        mapped = [i for i in listed if i["our_sku"]]
        assert 0 < len(mapped) < len(listed), supplier


async def test_aca_html_table_pages_cover_the_catalogue_via_next_links(fakes: Fakes) -> None:
    seen: list[tuple[str, str]] = []
    url: str | None = "/aca/produse"
    async with site(fakes) as s:
        while url:
            page = await s.get(url)
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("text/html")
            seen += aca_rows(page.text)
            found = re.search(r'<a class="next" rel="next" href="([^"]+)"', page.text)
            url = found.group(1) if found else None
    expected = await items(fakes, "aca")
    assert {sku: Decimal(price) for sku, price in seen} == {
        sku: Decimal(i["price"]) for sku, i in expected.items()
    }


async def test_braytron_cards_carry_romanian_prices_and_stock(fakes: Fakes) -> None:
    async with site(fakes) as s:
        page = (await s.get("/braytron/catalog", params={"pag": 1})).text
    cards = re.findall(
        r'data-sku="([^"]+)">.*?<span class="price">([\d.,]+) lei</span>\s*'
        r'<span class="stock" data-qty="(\d+)"',
        page,
        flags=re.S,
    )
    expected = await items(fakes, "braytron")
    assert len(cards) == 24
    for sku, price, qty in cards:
        assert Decimal(price.replace(".", "").replace(",", ".")) == Decimal(expected[sku]["price"])
        assert int(qty) == expected[sku]["stock"]


async def test_masterled_csv_uses_commas_and_decimal_points(fakes: Fakes) -> None:
    async with site(fakes) as s:
        reply = await s.get("/masterled/feed.csv")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    expected = await items(fakes, "masterled")
    assert reply.headers["content-type"].startswith("text/csv")
    assert list(rows[0]) == ["code", "name", "price", "stock", "currency"]
    assert {r["code"]: Decimal(r["price"]) for r in rows} == {
        sku: Decimal(i["price"]) for sku, i in expected.items()
    }


async def test_fsl_csv_uses_semicolons_and_decimal_commas(fakes: Fakes) -> None:
    async with site(fakes) as s:
        reply = await s.get("/fsl/export.csv")
    rows = list(csv.DictReader(io.StringIO(reply.text), delimiter=";"))
    expected = await items(fakes, "fsl")
    assert list(rows[0]) == ["Cod", "Denumire", "Pret", "Stoc", "Moneda"]
    assert all("," in r["Pret"] and "." not in r["Pret"] for r in rows)
    assert {r["Cod"]: Decimal(r["Pret"].replace(",", ".")) for r in rows} == {
        sku: Decimal(i["price"]) for sku, i in expected.items()
    }
    assert any(r["Denumire"] == "Bandă LED 5m 14.4W/m IP65" for r in rows)


async def test_arelux_json_pages_follow_next_until_null(fakes: Fakes) -> None:
    got: dict[str, Decimal] = {}
    url: str | None = "/arelux/api/products"
    async with site(fakes) as s:
        while url:
            body = (await s.get(url)).json()
            got |= {i["code"]: Decimal(i["pricing"]["net"]) for i in body["items"]}
            url = body["next"]
        beyond = await s.get("/arelux/api/products", params={"page": body["pages"] + 1})
    expected = await items(fakes, "arelux")
    assert got == {sku: Decimal(i["price"]) for sku, i in expected.items()}
    assert beyond.status_code == 404


async def test_conditional_requests_get_304_until_an_item_changes(fakes: Fakes) -> None:
    async with site(fakes) as s:
        first = await s.get("/fsl/export.csv")
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        by_etag = await s.get("/fsl/export.csv", headers={"If-None-Match": etag})
        by_date = await s.get("/fsl/export.csv", headers={"If-Modified-Since": modified})
        sku = next(iter(await items(fakes, "fsl")))
        changed = await s.put(f"/_fake/fsl/items/{sku}", json={"price": "12.34", "stock": 7})
        after_etag = await s.get("/fsl/export.csv", headers={"If-None-Match": etag})
        after_date = await s.get("/fsl/export.csv", headers={"If-Modified-Since": modified})
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_date.status_code == 304
    assert changed.status_code == 200
    assert after_etag.status_code == 200
    assert f"{sku};" in after_etag.text
    assert ";12,34;7;" in after_etag.text
    assert after_etag.headers["ETag"] != etag
    assert after_date.status_code == 200


async def test_faults_answer_500_then_garbage_then_recover(fakes: Fakes) -> None:
    async with site(fakes) as s:
        await s.post("/_fake/arelux/faults", json={"mode": "http500", "count": 2})
        failing = [(await s.get("/arelux/api/products")).status_code for _ in range(2)]
        await s.post("/_fake/arelux/faults", json={"mode": "garbage", "count": 1})
        garbage = await s.get("/arelux/api/products")
        healthy = await s.get("/arelux/api/products")
        other = await s.get("/aca/produse")
    assert failing == [500, 500]
    assert garbage.status_code == 200
    assert not garbage.text.rstrip().endswith("}")  # truncated JSON
    assert healthy.json()["page"] == 1
    assert other.status_code == 200


async def test_hostile_bodies_oversize_and_endless(fakes: Fakes) -> None:
    async with site(fakes) as s:
        await s.post("/_fake/fsl/faults", json={"mode": "oversize", "count": 1})
        big = await s.get("/fsl/export.csv")
        await s.post("/_fake/fsl/faults", json={"mode": "endless", "count": 1})
        read = 0
        async with s.stream("GET", "/fsl/export.csv") as endless:
            async for chunk in endless.aiter_bytes():
                read += len(chunk)
                if read > 12 * 1024 * 1024:
                    break  # still coming: the client has to hang up
        healthy = await s.get("/fsl/export.csv")
    assert big.status_code == 200
    assert len(big.content) == 10 * 1024 * 1024
    assert read > 12 * 1024 * 1024
    assert healthy.text.startswith("Cod;Denumire")


async def test_added_and_generated_items_appear_in_the_feed(fakes: Fakes) -> None:
    async with site(fakes) as s:
        added = await s.post(
            "/_fake/masterled/items",
            json={"supplier_sku": "ML-NEW-1", "name": "Bec LED GU10 6W 3000K", "price": "9.5"},
        )
        duplicate = await s.post(
            "/_fake/masterled/items",
            json={"supplier_sku": "ML-NEW-1", "name": "again", "price": "1"},
        )
        listed = (await s.get("/masterled/feed.csv")).text
        generated = await s.post("/_fake/masterled/generate", json={"count": 10_000})
        big = (await s.get("/masterled/feed.csv")).text
    assert added.status_code == 201
    assert duplicate.status_code == 409
    assert "ML-NEW-1,Bec LED GU10 6W 3000K,9.50,0,RON" in listed
    assert generated.json()["items"] == 10_000
    assert len(list(csv.DictReader(io.StringIO(big)))) == 10_000


async def test_control_api_refuses_bad_input(fakes: Fakes) -> None:
    async with site(fakes) as s:
        sku = next(iter(await items(fakes, "aca")))
        bad_edit = await s.put(f"/_fake/aca/items/{sku}", json={"price": "abc", "stock": -1})
        unknown = await s.put("/_fake/aca/items/NOPE", json={"price": "1"})
        bad_count = await s.post("/_fake/aca/generate", json={"count": 0})
        no_supplier = await s.get("/_fake/nobody/items")
    assert bad_edit.status_code == 400
    assert set(bad_edit.json()["fields"]) == {"price", "stock"}
    assert unknown.status_code == 404
    assert bad_count.status_code == 400
    assert no_supplier.status_code == 404


async def test_timeout_fault_answers_after_the_client_gave_up(fakes: Fakes) -> None:
    async with site(fakes) as s:
        armed = await s.post(
            "/_fake/braytron/faults", json={"mode": "timeout", "count": 1, "delay_seconds": 2}
        )
        assert armed.status_code == 200
        try:
            await s.get("/braytron/catalog", timeout=0.3)
            timed_out = False
        except httpx.ReadTimeout:
            timed_out = True
        after = await s.get("/braytron/catalog")
    assert timed_out
    assert after.status_code == 200


async def test_garbage_fault_on_a_csv_feed_is_not_csv(fakes: Fakes) -> None:
    async with site(fakes) as s:
        await s.post("/_fake/fsl/faults", json={"mode": "garbage", "count": 1})
        garbage = await s.get("/fsl/export.csv")
    assert garbage.status_code == 200
    assert not garbage.text.startswith("Cod;Denumire")

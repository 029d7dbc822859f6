"""The fakes process itself: free ports read back from its ports file, and a prompt
stop even while a `timeout` fault is holding a call."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from cypher_testkit.fakes import FakesProcess

from .smartbill_calls import client, invoice_body


async def test_stop_is_prompt_while_a_timeout_fault_holds_a_call(tmp_path: Path) -> None:
    process = FakesProcess(tmp_path / "fakes.log")
    process.start()
    try:
        fakes = await process.wait_ready()
        assert set(fakes.ports) == {"smartbill", "woo", "suppliers", "smtp", "mail_http"}
        assert len(set(fakes.ports.values())) == 5
        async with httpx.AsyncClient(base_url=fakes.smartbill_url) as control:
            armed = await control.post("/_fake/faults", json={"mode": "timeout", "count": 1})
        assert armed.json()["fault"]["delay_seconds"] is None  # the process default: 35 s
        async with client(fakes, timeout=60) as sb:
            held = asyncio.create_task(sb.post("/invoice", json=invoice_body(fakes)))
            await asyncio.sleep(0.5)
            started = time.monotonic()
            code = await asyncio.to_thread(process.process.terminate, 15)
            stopped_in = time.monotonic() - started
            outcome = await asyncio.gather(held, return_exceptions=True)
    finally:
        process.stop()
    assert code == 0
    assert stopped_in < 5
    assert not process.ports_file.exists()
    # The held call is answered at once (the work was done), not cut off after a grace time.
    assert isinstance(outcome[0], httpx.Response)
    assert outcome[0].json()["number"] == "0001"

"""One trace follows a request from the gateway into a service: the trace id sent to the
gateway appears in the downstream service's span and in its JSON log line."""

from __future__ import annotations

import json
import secrets

import httpx

from cypher_testkit.polling import eventually
from cypher_testkit.stack import LocalStack


def _records(text: str) -> list[dict[str, object]]:
    records = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def _span_trace_id(record: dict[str, object]) -> object:
    context = record.get("context")
    return context.get("trace_id") if isinstance(context, dict) else None


async def test_gateway_trace_id_reaches_pricing_span_and_log(stack: LocalStack) -> None:
    trace_id = secrets.token_hex(16)
    parent_span = secrets.token_hex(8)
    token = await stack.admin_token()
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        reply = await client.get(
            "/api/v1/pricing/NO-SUCH-SKU-TRACE",
            params={"quantity": 1},
            headers={
                "Authorization": f"Bearer {token}",
                "traceparent": f"00-{trace_id}-{parent_span}-01",
            },
        )
    assert reply.status_code == 404, reply.text

    pricing = stack.process("pricing")

    async def matching() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        records = _records(pricing.logs())
        logs = [r for r in records if r.get("trace_id") == trace_id and r.get("message") == "rpc"]
        spans = [r for r in records if _span_trace_id(r) == f"0x{trace_id}"]
        return logs, spans

    def complete(found: tuple[list[dict[str, object]], list[dict[str, object]]]) -> bool:
        logs, spans = found
        return any("PricingService" in str(r.get("method")) for r in logs) and any(
            r.get("kind") == "SpanKind.SERVER" for r in spans
        )

    await eventually(matching, complete, what="pricing rpc log line and server span")

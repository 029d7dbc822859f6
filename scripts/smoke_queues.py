"""Removes what an image smoke run declared on the broker: its queues (by prefix) and
its private exchanges. Queue names come from `rabbitmqctl` where it runs; without it the
queues' x-expires removes them after ten idle minutes.

    uv run python scripts/smoke_queues.py delete AMQP_URL PREFIX EXCHANGE
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys

import aio_pika


def queues_with(prefix: str) -> list[str]:
    if shutil.which("rabbitmqctl") is None:
        return []
    listed = subprocess.run(
        ["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name"],
        capture_output=True,
        text=True,
        check=False,
    )
    return [q.strip() for q in listed.stdout.splitlines() if q.strip().startswith(prefix)]


async def delete(amqp_url: str, prefix: str, exchange: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for queue in queues_with(prefix):
            await channel.queue_delete(queue)
        for name in (exchange, f"{exchange}.dlx"):
            await channel.exchange_delete(name)


if __name__ == "__main__":
    _, verb, url, prefix, exchange = sys.argv
    assert verb == "delete"
    asyncio.run(delete(url, prefix, exchange))

"""A consumer process that dies (SIGKILL-like `os._exit`) right after its database
commit and before acknowledging the message: the crash the inbox exists for. With
SPINE_CRASH_BEFORE_COMMIT=1 it dies inside the handler instead, before anything is
committed: a message that crash-loops its consumers."""

from __future__ import annotations

import asyncio
import os

from spine import CONFIRMED, apply_confirmed  # type: ignore[import-not-found]

from cypher_runtime.db import Database, UnitOfWork
from cypher_runtime.messaging.broker import Broker
from cypher_runtime.messaging.consumer import InboxConsumer, Subscription
from cypher_runtime.messaging.envelope import ReceivedEvent


async def die(_: ReceivedEvent) -> None:
    os._exit(137)


async def die_in_handler(uow: UnitOfWork, event: ReceivedEvent) -> None:
    os._exit(137)


CRASH_BEFORE_COMMIT = os.environ.get("SPINE_CRASH_BEFORE_COMMIT") == "1"


async def main() -> None:
    broker = Broker(os.environ["SPINE_AMQP_URL"], os.environ["SPINE_EXCHANGE"], service="consumer")
    consumer = InboxConsumer(
        service="consumer",
        purpose="orders",
        db=Database(os.environ["SPINE_DB_URL"]),
        broker=broker,
        subscriptions=[
            Subscription(CONFIRMED, die_in_handler if CRASH_BEFORE_COMMIT else apply_confirmed)
        ],
        retry_delay_ms=100,
        delivery_limit=int(os.environ.get("SPINE_DELIVERY_LIMIT", "20")),
        queue_prefix=os.environ["SPINE_QUEUE_PREFIX"],
        after_commit=None if CRASH_BEFORE_COMMIT else die,
    )
    await consumer.start()
    await asyncio.sleep(30)  # the first message ends the process long before this
    raise SystemExit("no message arrived")


asyncio.run(main())

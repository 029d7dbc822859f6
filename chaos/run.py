"""`make chaos`: kill -9 the broker, the database and each service under load, cut orders
from inventory, and check that every client retry converges — on a stack of its own.

The suite starts its own PostgreSQL cluster (initdb in a temporary directory, a spare
port) and its own RabbitMQ node (chaos@localhost, spare ports, no plugins), boots the
stack on them (every service and the gateway, as `make dev` does) under
`cypher_testkit.supervision` (a process that dies is restarted, as Kubernetes would),
and removes all of it at the end. The machine's shared servers are never touched.

Load: several clients place orders through the gateway and cancel some, each replaying
a failed request with the same Idempotency-Key (a cancel is replayed as is) until it
gets a definite answer. Each scenario ends in an exact check: every order that exists is
in inventory's reservations and in pricing's spend, the cancelled ones released there,
the reconciliation is empty, no Idempotency-Key is left in progress, and no answer was a
500. Per scenario it prints requests, failures during the fault, replays, time to ready
and time to convergence.

    uv run --frozen python chaos/run.py [scenario …]     (default: all, in order)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).parent))

from infra import OwnInfra

from cypher_testkit.catalogue import post_when_known
from cypher_testkit.proxy import TcpProxy, free_port
from cypher_testkit.stack import LocalStack, StackConfig
from cypher_testkit.supervision import Supervisor

CLIENTS = 4
LEASE_SECONDS = 15  # GATEWAY_IDEMPOTENCY_LEASE_SECONDS (> 2 × the 5 s upstream deadline)
LOAD_BEFORE = 3.0  # seconds of load before the fault
FAULT_SECONDS = 6.0  # how long a killed dependency stays away / the partition lasts
PARTITION_SECONDS = 15.0  # how long orders cannot reach inventory
LOAD_AFTER = 4.0  # seconds of load once ready again
CONVERGE_TIMEOUT = 150.0
RETRYABLE = {502, 503, 504}


def say(line: str) -> None:
    print(line, flush=True)


@dataclass
class Stats:
    requests: int = 0
    failures: int = 0  # answers that were not definite (5xx, connection errors, 409 in progress)
    failures_in_fault: int = 0
    replays: int = 0
    errors_500: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    placed: set[str] = field(default_factory=set)
    cancelled: set[str] = field(default_factory=set)


class Load:
    """Clients placing and cancelling orders, replaying failures with the same key."""

    def __init__(self, base_url: str, token: str, customers: list[str], skus: list[str]) -> None:
        self.base_url = base_url
        self.token = token
        self.customers = customers
        self.skus = skus
        self.stats = Stats()
        self.in_fault = False
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._client(i)) for i in range(CLIENTS)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def _send(
        self, client: httpx.AsyncClient, path: str, body: dict[str, Any], key: str | None
    ) -> httpx.Response | None:
        """POST until a definite answer; None if the load was stopped before one."""
        headers = {"Idempotency-Key": key} if key else {}
        attempt = 0
        while True:
            attempt += 1
            self.stats.requests += 1
            if attempt > 1:
                self.stats.replays += 1
            try:
                reply = await client.post(path, json=body, headers=headers)
            except httpx.HTTPError:
                reply = None
            if reply is not None and reply.status_code == 500:
                self.stats.errors_500.append(f"{path}: {reply.text[:300]}")
            definite = reply is not None and reply.status_code not in RETRYABLE | {500}
            if definite and reply is not None and reply.status_code == 409:
                code = (reply.json().get("error") or {}).get("code")
                # "still in progress" (the gateway's key, or the order saga's): ask again.
                definite = not str(code).endswith("_IN_PROGRESS")
            if definite:
                return reply
            self.stats.failures += 1
            if self.in_fault:
                self.stats.failures_in_fault += 1
            # A client keeps its request until it has an answer (even once told to stop).
            await asyncio.sleep(0.2 if attempt < 10 else 1.0)

    async def _client(self, i: int) -> None:
        rnd = random.Random(i)
        async with httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=httpx.Timeout(20.0, connect=2.0),
        ) as client:
            while not self._stop.is_set():
                key = f"chaos-{uuid.uuid4().hex}"
                body = {
                    "customer_id": rnd.choice(self.customers),
                    "lines": [
                        {"sku": s, "quantity": rnd.randint(1, 3)} for s in rnd.sample(self.skus, 2)
                    ],
                }
                reply = await self._send(client, "/orders", body, key)
                if reply is None:
                    continue
                if reply.status_code != 201:
                    self.stats.unexpected.append(
                        f"POST /orders {reply.status_code} {reply.text[:200]}"
                    )
                    continue
                order_id = str(reply.json()["data"]["id"])
                self.stats.placed.add(order_id)
                if rnd.random() < 0.4:
                    cancel = await self._send(
                        client, f"/orders/{order_id}/cancel", {"reason": "chaos"}, None
                    )
                    if cancel is not None and cancel.status_code in (200, 409):
                        # 409: a replayed cancel of an order the first attempt cancelled.
                        self.stats.cancelled.add(order_id)
                    elif cancel is not None:
                        self.stats.unexpected.append(
                            f"cancel {cancel.status_code} {cancel.text[:200]}"
                        )


class Chaos:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.infra = OwnInfra(base)
        self.proxy: TcpProxy | None = None
        self.stack: LocalStack | None = None
        self.supervisor: Supervisor | None = None
        self._ticking: asyncio.Task[None] | None = None
        self.results: list[dict[str, Any]] = []

    # -- boot ---------------------------------------------------------------------------
    async def boot(self) -> None:
        t = time.monotonic()
        await self.infra.start()
        say(
            f"own PostgreSQL on 127.0.0.1:{self.infra.pg.port}, own RabbitMQ node "
            f"{self.infra.rabbit.nodename} on 127.0.0.1:{self.infra.rabbit.port} "
            f"({time.monotonic() - t:.1f} s)"
        )
        config = StackConfig(
            pg_admin_url=self.infra.pg.admin_url,
            amqp_url=self.infra.rabbit.amqp_url,
            log_dir=self.base / "logs",
            fresh=True,
            extra_env={
                "GATEWAY_RATE_LIMIT_ENABLED": "false",
                "GATEWAY_IDEMPOTENCY_LEASE_SECONDS": str(LEASE_SECONDS),
                "GATEWAY_COOKIE_SECURE": "false",
                # A saga interrupted by a database outage whose hand-over to the recoverer
                # could not be written waits this long (default 120 s) while its owner lives.
                "ORDERS_SAGA_MAX_AGE_SECONDS": "30",
            },
        )
        stack = self.stack = LocalStack(config)
        await stack.create_databases()
        await asyncio.to_thread(stack.migrate)
        # Orders reaches inventory through a TCP proxy: the partition scenario cuts it.
        self.proxy = TcpProxy("127.0.0.1", stack.ports["inventory"][0], free_port())
        await self.proxy.start()
        stack.process("orders").env["CYPHER_INVENTORY_ADDR"] = f"127.0.0.1:{self.proxy.port}"
        stack.start()
        await stack.wait_ready(180)
        self.supervisor = Supervisor(
            stack.processes, lambda line: say(f"  [supervisor] {line.splitlines()[0]}")
        )
        self.supervisor.started()
        self._ticking = asyncio.create_task(self._tick())
        say(f"stack ready ({time.monotonic() - t:.1f} s since start); logs in {config.log_dir}")

    async def _tick(self) -> None:
        assert self.supervisor is not None
        while True:
            self.supervisor.tick()
            await asyncio.sleep(0.2)

    async def _api(self) -> tuple[httpx.AsyncClient, str]:
        assert self.stack is not None
        token = await self.stack.admin_token()
        client = httpx.AsyncClient(
            base_url=f"{self.stack.gateway_url}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        return client, token

    async def catalogue(self) -> tuple[list[str], list[str]]:
        client, _ = await self._api()
        async with client:
            skus = []
            for _ in range(4):
                sku = f"CHAOS-{uuid.uuid4().hex[:8].upper()}"
                product = {"sku": sku, "name": f"LED {sku}", "category": "led", "unit": "buc",
                           "cost": "10.00", "margin_pct": "50"}  # fmt: skip
                reply = await client.post("/products", json=product)
                assert reply.status_code == 201, reply.text
                receipt = {"sku": sku, "warehouse": "A", "quantity": 1_000_000}
                got = await post_when_known(client, "/inventory/receipts", json=receipt, timeout=30)
                assert got.status_code == 201, got.text
                skus.append(sku)
            customers = []
            for _ in range(4):
                reply = await client.post(
                    "/customers",
                    json={"name": "Lumina SRL", "email": f"{uuid.uuid4().hex[:10]}@lumina.ro",
                          "vat_code": "RO14399840"},
                )  # fmt: skip
                assert reply.status_code == 201, reply.text
                customers.append(str(reply.json()["data"]["id"]))
        return skus, customers

    # -- probes -------------------------------------------------------------------------
    async def wait_ready(self, timeout: float = 120) -> float:
        """Seconds until the gateway's /ready (database + every upstream) answers 200."""
        assert self.stack is not None
        t = time.monotonic()
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() - t < timeout:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.stack.gateway_url}/ready")).status_code == 200:
                        return time.monotonic() - t
                await asyncio.sleep(0.1)
        raise TimeoutError("the gateway did not become ready again")

    async def wait_unready(self) -> None:
        assert self.stack is not None
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                try:
                    if (await client.get(f"{self.stack.gateway_url}/ready")).status_code != 200:
                        return
                except httpx.HTTPError:
                    return
                await asyncio.sleep(0.05)

    async def _rows(self, service: str, sql: str) -> list[asyncpg.Record]:
        assert self.stack is not None
        db = self.stack.databases[service]
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.infra.pg.port}/{db}")
        try:
            return list(await conn.fetch(sql))
        finally:
            await conn.close()

    async def mismatches(self, load: Load, skus: list[str]) -> list[str]:
        """Everything that does not (yet) agree; empty once converged."""
        problems: list[str] = []
        orders = {
            str(r["id"]): r["status"]
            for r in await self._rows("orders", "SELECT id, status FROM orders")
        }
        reservations = {
            r["order_id"]: r["status"]
            for r in await self._rows("inventory", "SELECT order_id, status FROM reservations")
        }
        spend = {
            r["order_id"]: r["cancelled"]
            for r in await self._rows("pricing", "SELECT order_id, cancelled FROM customer_orders")
        }
        stuck = await self._rows(
            "gateway", "SELECT key FROM idempotency_keys WHERE state = 'in_progress'"
        )
        for order_id in load.stats.placed:
            if order_id not in orders or orders[order_id] is None:
                problems.append(f"order {order_id} answered 201 but is not visible in orders")
        for order_id in load.stats.cancelled:
            if orders.get(order_id) != "CANCELLED":
                problems.append(f"order {order_id} cancelled but {orders.get(order_id)}")
        for order_id, status in orders.items():
            held = reservations.get(order_id)
            if status is None:  # never visible (refused or compensated): nothing may hold
                if held not in (None, "RELEASED", "EXPIRED"):
                    problems.append(f"invisible order {order_id} still holds a {held} reservation")
                if order_id in spend:
                    problems.append(f"invisible order {order_id} counted in pricing's spend")
                continue
            if held is None:
                problems.append(f"order {order_id} ({status}) has no reservation in inventory")
            elif status == "CANCELLED" and held != "RELEASED":
                problems.append(f"cancelled order {order_id} reservation is {held}, not RELEASED")
            elif status != "CANCELLED" and held in ("RELEASED", "EXPIRED"):
                problems.append(f"order {order_id} ({status}) lost its reservation ({held})")
            if order_id not in spend:
                problems.append(f"order {order_id} ({status}) missing from pricing's spend")
            elif spend[order_id] != (status == "CANCELLED"):
                problems.append(f"order {order_id} ({status}) spend cancelled={spend[order_id]}")
        for order_id in spend:
            if orders.get(order_id) is None:
                problems.append(f"pricing counts unknown order {order_id}")
        if stuck:
            problems.append(f"{len(stuck)} Idempotency-Keys still in progress")
        client, _ = await self._api()
        async with client:
            reply = await client.get("/admin/inventory/reconcile", params={"sku": skus})
            if reply.status_code != 200:
                problems.append(f"reconcile answered {reply.status_code}")
            elif reply.json()["data"]["mismatches"]:
                problems.append(f"reconciliation: {reply.json()['data']['mismatches']}")
        return problems

    # -- one scenario ---------------------------------------------------------------------
    async def scenario(
        self,
        name: str,
        fault: Callable[[], Awaitable[None]],
        recover: Callable[[], Awaitable[None]],
        hold: float,
        token: str,
        customers: list[str],
        skus: list[str],
    ) -> bool:
        assert self.stack is not None
        say(f"\n=== {name}")
        load = Load(f"{self.stack.gateway_url}/api/v1", token, customers, skus)
        load.start()
        await asyncio.sleep(LOAD_BEFORE)
        load.in_fault = True
        await fault()
        if hold:
            await asyncio.sleep(hold)
        else:  # a killed process: supervision restarts it; wait for the gateway to notice
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wait_unready(), 5)
        # Time to ready: from the dependency's return (a killed process: from the kill).
        if hold:
            await recover()
        back = time.monotonic()
        await self.wait_ready()
        ready = time.monotonic() - back
        load.in_fault = False
        await asyncio.sleep(LOAD_AFTER)
        await load.stop()
        stopped = time.monotonic()
        problems: list[str] = []
        while True:
            problems = await self.mismatches(load, skus)
            if not problems or time.monotonic() - stopped > CONVERGE_TIMEOUT:
                break
            await asyncio.sleep(0.5)
        converged = time.monotonic() - stopped
        s = load.stats
        problems += [f"500: {e}" for e in s.errors_500[:5]]
        problems += [f"unexpected: {e}" for e in s.unexpected[:5]]
        passed = not problems
        row = {
            "scenario": name,
            "requests": s.requests,
            "orders": len(s.placed),
            "cancelled": len(s.cancelled),
            "failures_during_fault": s.failures_in_fault,
            "failures": s.failures,
            "replays": s.replays,
            "http_500": len(s.errors_500),
            "ready_s": round(ready, 1),
            "converged_s": round(converged, 1),
            "passed": passed,
        }
        self.results.append(row)
        say("  " + "  ".join(f"{k}={v}" for k, v in row.items() if k != "scenario"))
        for p in problems[:20]:
            say(f"  FAIL {p}")
        return passed

    async def stop(self) -> None:
        if self._ticking is not None:
            self._ticking.cancel()
        if self.stack is not None:
            self.stack.stop()
        if self.proxy is not None:
            await self.proxy.stop()
        self.infra.remove()


Step = Callable[[], Awaitable[None]]


def scenarios(chaos: Chaos) -> dict[str, tuple[Step, Step, float]]:
    infra = chaos.infra

    async def nothing() -> None:
        return None

    async def kill_broker() -> None:
        infra.rabbit.kill()

    async def restart_broker() -> None:
        infra.rabbit.start()
        await infra.rabbit.wait_ready()

    async def kill_postmaster() -> None:
        infra.pg.kill()

    async def restart_postmaster() -> None:
        await asyncio.to_thread(infra.pg.start)

    def kill_service(name: str) -> Callable[[], Awaitable[None]]:
        async def kill() -> None:
            assert chaos.stack is not None
            chaos.stack.process(name).kill()  # the supervisor restarts it after its back-off

        return kill

    async def cut() -> None:
        assert chaos.proxy is not None
        await chaos.proxy.stop()

    async def heal() -> None:
        assert chaos.proxy is not None
        await chaos.proxy.start()

    # (fault, recovery, seconds the fault lasts; 0: a killed process, left to supervision)
    found: dict[str, tuple[Step, Step, float]] = {
        "broker": (kill_broker, restart_broker, FAULT_SECONDS),
        "postmaster": (kill_postmaster, restart_postmaster, FAULT_SECONDS),
    }
    for name in ("pricing", "inventory", "orders", "gateway"):
        found[f"kill-{name}"] = (kill_service(name), nothing, 0.0)
    # Longer than orders' retries of the idempotent Reserve (a 6 s cut is bridged by them).
    found["partition-orders-inventory"] = (cut, heal, PARTITION_SECONDS)
    return found


async def main(selected: list[str]) -> int:
    base = Path(tempfile.mkdtemp(prefix="cypher-chaos-"))
    chaos = Chaos(base)
    table = scenarios(chaos)
    unknown = [s for s in selected if s not in table]
    if unknown:
        say(f"unknown scenarios {unknown}; known: {list(table)}")
        return 2
    ok = True
    try:
        await chaos.boot()
        skus, customers = await chaos.catalogue()
        _, token = await chaos._api()
        for name in selected or list(table):
            fault, recover, hold = table[name]
            ok = await chaos.scenario(name, fault, recover, hold, token, customers, skus) and ok
    finally:
        await chaos.stop()
    say(
        "\n| scenario | requests | orders | cancelled | failures during fault | replays "
        "| 500s | ready (s) | converged (s) | result |"
    )
    say("|---|---|---|---|---|---|---|---|---|---|")
    for r in chaos.results:
        say(
            f"| {r['scenario']} | {r['requests']} | {r['orders']} | {r['cancelled']} | "
            f"{r['failures_during_fault']} | {r['replays']} | {r['http_500']} | {r['ready_s']} | "
            f"{r['converged_s']} | {'pass' if r['passed'] else 'FAIL'} |"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", nargs="*", help="scenarios to run (default: all)")
    sys.exit(asyncio.run(main(parser.parse_args().scenario)))

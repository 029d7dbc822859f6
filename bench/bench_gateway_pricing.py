"""Benchmark: GET /api/v1/pricing/{sku} through the gateway (a real `gateway serve`
process) to a real `pricing serve` process over gRPC, beside a bare uvicorn JSON
endpoint measured in the same run with the same uvicorn settings.

    uv run python bench/bench_gateway_pricing.py [--requests 4000] [--concurrency 32]
                                                 [--profile]

Fresh PostgreSQL databases (the test kit's), rate limits raised via settings, the
price cache warm before measuring. Prints requests/s, p50 and p99 of each target, the
ratio gateway/bare, and the machine. `--profile` also runs the gateway under cProfile
for the measured load and prints where its time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cypher_testkit.databases import drop_database, migrated_database
from cypher_testkit.infra import amqp_url
from cypher_testkit.proxy import free_port

ADMIN_EMAIL = "bench-admin@cypher.local"
ADMIN_PASSWORD = "bench-admin-password-1"
JWT_SECRET = "bench-only-secret-" + "b" * 40
LOG_DIR = Path(tempfile.gettempdir()) / "cypher-bench"
# One uvicorn process, one worker, no access log: the same for both targets.
UVICORN: dict[str, Any] = {"log_config": None, "access_log": False}


# --- the bare endpoint (run in its own process: `--bare PORT`) ---------------------------


def serve_bare(port: int) -> None:
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI()
    body = {
        "success": True,
        "data": {"sku": "BARE", "unit_net": "100.04", "unit_gross": "121.05", "currency": "RON"},
        "error": None,
        "metadata": {"request_id": "bare"},
    }

    @app.get("/api/v1/pricing/{sku}")
    async def price(sku: str) -> JSONResponse:
        return JSONResponse(body)

    uvicorn.run(app, host="127.0.0.1", port=port, **UVICORN)  # type: ignore[arg-type]


def serve_profiled_gateway(prof_path: str) -> None:
    """`gateway serve` under cProfile; SIGUSR1 writes the stats (uvicorn re-raises
    SIGTERM/SIGINT after its graceful stop, so an exit hook would not run reliably)."""
    import cProfile

    import uvicorn

    from cypher_runtime.logs import configure_logging
    from cypher_runtime.settings import load_settings
    from cypher_runtime.tracing import configure_tracing, instrument_libraries
    from gateway.app import create_app
    from gateway.settings import GatewaySettings

    settings = load_settings(GatewaySettings)
    configure_logging("gateway", settings.log_level)
    configure_tracing("gateway")
    instrument_libraries()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host=settings.bind_host, port=settings.http_port, **UVICORN
        )
    )
    profiler = cProfile.Profile()

    def dump(signum: int, frame: object) -> None:
        profiler.disable()
        profiler.dump_stats(prof_path)

    signal.signal(signal.SIGUSR1, dump)
    profiler.enable()
    server.run()


# --- processes ---------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def spawn(name: str, args: list[str], env: dict[str, str]) -> Proc:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"{name}.log").open("wb")
    popen = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return Proc(name, popen)


async def wait_until(probe: Callable[[], Awaitable[bool]], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if await probe():
                return
        except (httpx.HTTPError, OSError):
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{what} not up within {timeout}s (logs in {LOG_DIR})")


async def http_ok(url: str) -> bool:
    async with httpx.AsyncClient(timeout=2) as client:
        return (await client.get(url)).status_code == 200


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to report CPU per request: on a
    small shared machine throughput is bounded by the load generator, CPU is not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- load --------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu: dict[str, float] | None = None  # process -> CPU ms per request

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<28} {self.rps:>9.0f} req/s   p50 {self.pct(0.50):>7.2f} ms   "
            f"p99 {self.pct(0.99):>7.2f} ms   mean {statistics.fmean(self.latencies) * 1000:>7.2f}"
            f" ms   errors {self.errors}"
            + "".join(f"\n{'':<30}CPU {k}: {v:.2f} ms/request" for k, v in (self.cpu or {}).items())
        )


async def load(
    name: str,
    base: str,
    path: str,
    headers: dict[str, str],
    total: int,
    concurrency: int,
    watch: dict[str, int] | None = None,
) -> Result:
    """`concurrency` clients, each with its own keep-alive connection, share `total`
    requests; the count is bounded so every run does the same work."""
    remaining = total
    latencies: list[float] = []
    errors = 0

    async def client_loop() -> None:
        nonlocal remaining, errors
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                reply = await client.get(path)
                latencies.append(time.perf_counter() - started)
                if reply.status_code != 200:
                    errors += 1

    watch = watch or {}
    cpu_before = {k: cpu_seconds(pid) for k, pid in watch.items()}
    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = {k: (cpu_seconds(pid) - cpu_before[k]) * 1000 / total for k, pid in watch.items()}
    return Result(name, total, elapsed, latencies, errors, cpu)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores, {model}; Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.release()}"
    )


# --- the run -----------------------------------------------------------------------------


async def run(total: int, concurrency: int, profile: bool) -> None:
    from gateway.main import MIGRATIONS as GATEWAY_MIGRATIONS
    from pricing.main import MIGRATIONS as PRICING_MIGRATIONS

    pricing_db = await migrated_database("pricing", PRICING_MIGRATIONS)
    gateway_db = await migrated_database("gateway", GATEWAY_MIGRATIONS)
    tag = uuid.uuid4().hex[:8]
    common = {
        "CYPHER_ENV": "development",
        "CYPHER_AMQP_URL": amqp_url(),
        "CYPHER_EVENTS_EXCHANGE": f"cypher.events.bench-{tag}",
        "CYPHER_QUEUE_PREFIX": f"bench-{tag}.",
        "CYPHER_LOG_LEVEL": "WARNING",
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_SDK_DISABLED": "true",
    }
    grpc_port, pricing_http, gateway_port, bare_port = (free_port() for _ in range(4))
    prof_file = LOG_DIR / "gateway.prof"
    prof_file.unlink(missing_ok=True)
    procs: list[Proc] = []
    try:
        procs.append(
            spawn(
                "pricing",
                ["-m", "pricing", "serve"],
                {
                    **common,
                    "PRICING_DATABASE_URL": pricing_db,
                    "PRICING_GRPC_PORT": str(grpc_port),
                    "PRICING_HTTP_PORT": str(pricing_http),
                },
            )
        )
        gateway_args = ["-m", "gateway", "serve"]
        if profile:
            gateway_args = [__file__, "--profiled-gateway", str(prof_file)]
        procs.append(
            spawn(
                "gateway",
                gateway_args,
                {
                    **common,
                    "GATEWAY_DATABASE_URL": gateway_db,
                    "GATEWAY_HTTP_PORT": str(gateway_port),
                    "GATEWAY_BIND_HOST": "127.0.0.1",
                    "GATEWAY_JWT_SECRET": JWT_SECRET,
                    "CYPHER_PRICING_ADDR": f"127.0.0.1:{grpc_port}",
                    "CYPHER_ADMIN_EMAIL": ADMIN_EMAIL,
                    "CYPHER_ADMIN_PASSWORD": ADMIN_PASSWORD,
                    # Limits raised out of the way: this measures the path, not the 429s.
                    "GATEWAY_RATE_LIMIT_API": "100000000/minute",
                    "GATEWAY_RATE_LIMIT_WRITES": "100000000/minute",
                    "GATEWAY_RATE_LIMIT_LOGIN": "1000/minute",
                },
            )
        )
        procs.append(spawn("bare", [__file__, "--bare", str(bare_port)], common))
        gateway = f"http://127.0.0.1:{gateway_port}"
        bare = f"http://127.0.0.1:{bare_port}"
        await wait_until(lambda: http_ok(f"{gateway}/health"), "gateway")
        await wait_until(lambda: http_ok(f"{bare}/api/v1/pricing/x"), "bare endpoint")

        async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            login.raise_for_status()
            auth = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
            sku = f"BENCH-{tag.upper()}"
            created = await client.post(
                "/api/v1/products",
                json={
                    "sku": sku,
                    "name": "Bench LED",
                    "category": "bench",
                    "unit": "buc",
                    "cost": "100.00",
                    "margin_pct": "30",
                },
                headers=auth,
            )
            created.raise_for_status()
        path = f"/api/v1/pricing/{sku}?quantity=60"

        gw_watch = {"gateway": procs[1].popen.pid, "pricing": procs[0].popen.pid}
        # Warm-up: connections, the price cache, code paths; not measured.
        await load("warm-up gateway", gateway, path, auth, 500, concurrency)
        await load("warm-up bare", bare, path, {}, 500, concurrency)
        # Interleaved, twice each, so drift on the machine hits both targets alike.
        results: dict[str, list[Result]] = {"gateway": [], "bare": []}
        for _ in range(2):
            gw = await load("gateway", gateway, path, auth, total, concurrency, gw_watch)
            results["gateway"].append(gw)
            bare_watch = {"bare": procs[2].popen.pid}
            results["bare"].append(
                await load("bare", bare, path, {}, total, concurrency, bare_watch)
            )
        best = {k: max(v, key=lambda r: r.rps) for k, v in results.items()}
        if profile:
            procs[1].popen.send_signal(signal.SIGUSR1)

            async def dumped() -> bool:
                try:
                    pstats.Stats(str(prof_file))  # complete and readable
                except (OSError, EOFError, TypeError, ValueError):
                    return False
                return True

            await wait_until(dumped, "profile dump", timeout=30)

        print(f"\nmachine: {machine()}")
        print(
            f"load: {total} requests x 2 rounds per target, {concurrency} concurrent clients, "
            "keep-alive; best round shown"
        )
        print(f"gateway -> pricing: GET {path} (auth, RBAC, rate limit, audit-free read, gRPC)")
        print(best["gateway"].line().replace("gateway", "gateway + pricing", 1))
        print(best["bare"].line().replace("bare", "bare uvicorn JSON", 1))
        ratio = best["gateway"].rps / best["bare"].rps
        print(
            f"ratio gateway/bare throughput: {ratio:.2f} "
            f"(p50 x{best['gateway'].pct(0.5) / best['bare'].pct(0.5):.1f})"
        )
        gw_cpu = (best["gateway"].cpu or {}).get("gateway", float("nan"))
        bare_cpu = (best["bare"].cpu or {}).get("bare", float("nan"))
        print(f"ratio gateway/bare CPU per request: {gw_cpu / bare_cpu:.1f}")
    finally:
        for proc in reversed(procs):
            proc.stop()
        await drop_database(pricing_db)
        await drop_database(gateway_db)
    if profile and prof_file.exists():
        stats = pstats.Stats(str(prof_file))
        print("\ngateway profile (cProfile): top 30 by own time")
        stats.sort_stats("tottime").print_stats(30)
        print("gateway profile: top 40 by cumulative time")
        stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profiled-gateway", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profiled_gateway:
        serve_profiled_gateway(args.profiled_gateway)
        return
    if args.bare:
        serve_bare(args.bare)
        return
    asyncio.run(run(args.requests, args.concurrency, args.profile))


if __name__ == "__main__":
    main()

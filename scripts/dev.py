"""`make dev`: the whole stack as local processes on the fixed ports.

Creates one database and role per service on the local PostgreSQL (if missing),
migrates them, starts every service and the gateway, waits until `/ready` is green,
prints the URLs and the admin login, restarts a process that dies (with a back-off, as
Kubernetes does), and stops everything on Ctrl-C or SIGTERM.
Running it again stops a previous run's processes first, so it is safe to repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from cypher_testkit.stack import (
    DEV_ADMIN_EMAIL,
    DEV_ADMIN_PASSWORD,
    SERVICES,
    LocalStack,
    StackConfig,
)
from cypher_testkit.supervision import Supervisor
from seed_demo import seed

ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = ROOT / ".run"
PID_FILE = RUN_DIR / "dev.pids"


def stop_previous_run() -> None:
    if not PID_FILE.exists():
        return
    for line in PID_FILE.read_text().split():
        with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
            os.killpg(int(line), signal.SIGTERM)
    PID_FILE.unlink()
    time.sleep(1)


def write_pids(stack: LocalStack) -> None:
    PID_FILE.write_text(
        "\n".join(str(p.proc.pid) for p in stack.processes.values() if p.proc is not None)
    )


async def main() -> int:
    started = time.monotonic()
    RUN_DIR.mkdir(exist_ok=True)
    stop_previous_run()
    email = os.environ.get("CYPHER_ADMIN_EMAIL") or DEV_ADMIN_EMAIL
    password = os.environ.get("CYPHER_ADMIN_PASSWORD") or DEV_ADMIN_PASSWORD
    config = StackConfig(
        pg_admin_url=os.environ.get(
            "CYPHER_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        amqp_url=os.environ.get("CYPHER_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        log_dir=RUN_DIR / "logs",
        fresh=False,
        admin_email=email,
        admin_password=password,
    )
    stack = LocalStack(config)
    print("creating databases and applying migrations…", flush=True)
    await stack.create_databases()
    await asyncio.to_thread(stack.migrate)
    stack.start()
    write_pids(stack)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stack.wait_ready()
        elapsed = time.monotonic() - started
        print(f"\nCYPHER is ready in {elapsed:.1f} s")
        try:
            print(await seed(stack.gateway_url, email, password, stack.fakes.suppliers_url), "\n")
        except Exception as exc:  # the stack is up; demo data is a convenience
            print(f"demo data not loaded: {exc!r}\n")
        print(f"  gateway      {stack.gateway_url}/api/v1   docs {stack.gateway_url}/docs")
        for s in SERVICES:
            print(f"  {s.name:<12} gRPC 127.0.0.1:{s.grpc_port}   {stack.http_url(s.name)}/ready")
        fakes = stack.fakes
        print(f"  fakes        SmartBill {fakes.smartbill_api_url}   WooCommerce {fakes.woo_url}")
        smtp = f"{fakes.smtp_host}:{fakes.smtp_port}"
        print(f"               suppliers {fakes.suppliers_url}   SMTP {smtp}")
        print(f"               received mail {fakes.mail_url}/_fake/messages")
        note = "" if os.environ.get("CYPHER_ADMIN_PASSWORD") else "  (development default)"
        print(f"\n  admin login  {email} / {password}{note}")
        print(f"  logs         {config.log_dir}/<service>.log")
        print("\nCtrl-C stops everything.", flush=True)
        parent = os.getppid()
        # A process that dies is started again after a back-off, as Kubernetes would.
        supervisor = Supervisor(stack.processes, lambda line: print(f"\n{line}", flush=True))
        supervisor.started()
        while not stop.is_set():
            if os.getppid() != parent:
                # `make` was sent SIGTERM and exited without forwarding it: stop too.
                print("parent process exited", flush=True)
                stop.set()
            if supervisor.tick():
                write_pids(stack)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        return 0
    finally:
        print("stopping…", flush=True)
        stack.stop()
        PID_FILE.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

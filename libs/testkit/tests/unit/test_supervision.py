"""Local supervision restarts a dead process after a doubling back-off, like Kubernetes."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cypher_testkit.processes import ServiceProcess
from cypher_testkit.supervision import BackOff, Supervisor


class FakeProcess:
    def __init__(self) -> None:
        self.code: int | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.code = None

    def returncode(self) -> int | None:
        return self.code

    def logs(self) -> str:
        return "Traceback: boom"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def supervisor(proc: FakeProcess, clock: Clock, said: list[str]) -> Supervisor:
    sup = Supervisor({"orders": proc}, said.append, BackOff(1, 30, 60), clock)
    sup.started()
    return sup


def test_a_running_process_is_left_alone() -> None:
    proc, clock = FakeProcess(), Clock()
    said: list[str] = []
    sup = supervisor(proc, clock, said)
    clock.now += 500
    assert sup.tick() == []
    assert said == []


def test_a_dead_process_restarts_after_a_doubling_back_off_capped_at_30s() -> None:
    proc, clock = FakeProcess(), Clock()
    said: list[str] = []
    sup = supervisor(proc, clock, said)
    delays = []
    for _ in range(7):
        proc.code = 1  # crashes right after each start
        assert sup.tick() == []  # noticed, not yet restarted
        waited = 0.0
        while not sup.tick():
            clock.now += 0.5
            waited += 0.5
        delays.append(waited)
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert proc.starts == 7
    assert sup.restarts == {"orders": 7}
    assert "orders exited with 1; restarting in 1 s" in said[0]
    assert "boom" in said[0]


def test_the_back_off_resets_once_the_process_stayed_up() -> None:
    proc, clock = FakeProcess(), Clock()
    said: list[str] = []
    sup = supervisor(proc, clock, said)
    for _ in range(3):
        proc.code = 1
        sup.tick()
        clock.now += 60
        sup.tick()
    clock.now += 120  # stable for two minutes
    proc.code = 1
    sup.tick()
    assert "restarting in 1 s" in said[-1]


def test_a_real_process_that_dies_is_started_again(tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    script = f"open({str(marker)!r}, 'a').write('x'); raise SystemExit(3)"
    proc = ServiceProcess([sys.executable, "-c", script], {}, tmp_path / "p.log")
    said: list[str] = []
    sup = Supervisor({"p": proc}, said.append, BackOff(0.1, 0.2, 60))
    proc.start()
    sup.started()
    deadline = time.monotonic() + 20
    while sup.restarts.get("p", 0) < 2 and time.monotonic() < deadline:
        sup.tick()
        time.sleep(0.05)
    assert sup.restarts["p"] == 2
    assert "p exited with 3" in said[0]
    proc.kill()
    while proc.returncode() is None:
        time.sleep(0.05)
    assert marker.read_text().startswith("xx")

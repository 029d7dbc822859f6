"""Local supervision like Kubernetes': a process of the local stack that dies is started
again after a back-off that doubles on each consecutive crash (1 s, 2 s, 4 s … capped at
30 s) and resets once the process has stayed up for a minute — so a crash on a laptop
behaves as it would in a cluster (CrashLoopBackOff), and every restart is logged."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Supervised(Protocol):
    """What the supervisor needs of a process (ServiceProcess has it)."""

    def start(self) -> None: ...

    def returncode(self) -> int | None: ...  # None while running (or never started)

    def logs(self) -> str: ...


@dataclass(frozen=True)
class BackOff:
    initial: float = 1.0
    maximum: float = 30.0
    stable_after: float = 60.0  # up this long: the next crash starts from `initial` again

    def delay(self, consecutive_crashes: int) -> float:
        return min(self.maximum, self.initial * 2.0 ** max(0, consecutive_crashes - 1))


@dataclass
class _State:
    started_at: float
    crashes: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    processes: Mapping[str, Supervised]
    say: Callable[[str], None]
    backoff: BackOff = field(default_factory=BackOff)
    clock: Callable[[], float] = time.monotonic
    restarts: dict[str, int] = field(default_factory=dict)
    _state: dict[str, _State] = field(default_factory=dict)

    def started(self) -> None:
        """Call once every process has been started."""
        now = self.clock()
        self._state = {name: _State(started_at=now) for name in self.processes}

    def tick(self) -> list[str]:
        """Notice deaths and restart what is due; returns the names restarted now."""
        now = self.clock()
        restarted: list[str] = []
        for name, process in self.processes.items():
            state = self._state.setdefault(name, _State(started_at=now))
            code = process.returncode()
            if code is None:
                continue
            if state.restart_at is None:
                if now - state.started_at >= self.backoff.stable_after:
                    state.crashes = 0
                state.crashes += 1
                delay = self.backoff.delay(state.crashes)
                state.restart_at = now + delay
                tail = process.logs()[-1500:].rstrip()
                self.say(
                    f"{name} exited with {code}; restarting in {delay:.0f} s "
                    f"(crash {state.crashes} in a row). Last lines:\n{tail}"
                )
            elif now >= state.restart_at:
                process.start()
                state.started_at, state.restart_at = now, None
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self.say(f"{name} restarted (restart {self.restarts[name]})")
                restarted.append(name)
        return restarted

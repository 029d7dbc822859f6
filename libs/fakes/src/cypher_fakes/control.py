"""What every fake shares: the log of calls it answered, the fault a test armed, the
delay of a `timeout` fault (cut short at shutdown) and JSON helpers for the control API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


@dataclass
class RequestLog:
    entries: list[dict[str, Any]] = field(default_factory=list)

    def arrived(self, method: str, path: str, **details: Any) -> dict[str, Any]:
        """Logged on arrival (status None until answered), so a call still being held
        by a `timeout` fault shows, and one answered after a reset does not reappear."""
        entry = {"method": method, "path": path, "status": None, "time": time.time(), **details}
        self.entries.append(entry)
        return entry

    def clear(self) -> None:
        self.entries.clear()


@dataclass
class Fault:
    """An armed failure: hits the next `remaining` calls that match the filters."""

    mode: str
    remaining: int
    filters: dict[str, str] = field(default_factory=dict)
    delay_seconds: float | None = None  # `timeout` only: overrides the process default


class FaultSwitch:
    """One armed fault at a time per fake; arming a new one replaces the old."""

    def __init__(self, modes: frozenset[str]) -> None:
        self.modes = modes
        self.current: Fault | None = None

    def arm(self, body: Any, filter_keys: tuple[str, ...] = ()) -> dict[str, str]:
        """Arm from a control request body; returns field errors (empty when armed)."""
        if not isinstance(body, dict):
            return {"body": "expected a JSON object"}
        mode = body.get("mode")
        count = body.get("count", 1)
        errors: dict[str, str] = {}
        if mode != "none" and mode not in self.modes:
            errors["mode"] = f"one of {sorted(self.modes | {'none'})}"
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            errors["count"] = "a non-negative integer"
        delay = body.get("delay_seconds")
        if delay is not None and (
            isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0
        ):
            errors["delay_seconds"] = "a non-negative number"
        filters = {k: body[k] for k in filter_keys if body.get(k) is not None}
        for key, value in filters.items():
            if not isinstance(value, str):
                errors[key] = "a string"
        if errors:
            return errors
        self.current = (
            None
            if mode == "none" or count == 0
            else Fault(str(mode), count, filters, None if delay is None else float(delay))
        )
        return {}

    def take(self, **subject: str) -> Fault | None:
        """The fault that hits this call (consuming one use), or None."""
        fault = self.current
        if fault is None:
            return None
        if any(subject.get(k) != v for k, v in fault.filters.items()):
            return None
        fault.remaining -= 1
        if fault.remaining <= 0:
            self.current = None
        return fault

    def describe(self) -> dict[str, Any] | None:
        f = self.current
        if f is None:
            return None
        return {
            "mode": f.mode,
            "remaining": f.remaining,
            "delay_seconds": f.delay_seconds,
            **f.filters,
        }


class Lifecycle:
    """Shared by all fakes: set when the process shuts down, so late answers end now."""

    def __init__(self, fault_timeout_seconds: float) -> None:
        self.fault_timeout_seconds = fault_timeout_seconds
        self.closing = asyncio.Event()

    async def answer_late(self, fault: Fault) -> None:
        delay = self.fault_timeout_seconds if fault.delay_seconds is None else fault.delay_seconds
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closing.wait(), delay)


async def read_json(request: Request) -> tuple[Any, bool]:
    """(body, ok): ok is False when the body is not valid JSON; an empty body is None."""
    raw = await request.body()
    if not raw.strip():
        return None, True
    try:
        return json.loads(raw), True
    except ValueError:
        return None, False


def field_errors(errors: dict[str, str], status: int = 400) -> JSONResponse:
    return JSONResponse({"error": "invalid request", "fields": errors}, status_code=status)

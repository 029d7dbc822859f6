"""Coded errors of the shop sync (grpc-free; the runtime maps the kinds)."""

from __future__ import annotations

from cypher_runtime.errors import Conflict


class SyncInProgress(Conflict):
    """A full or retry run of that mode is already running (ABORTED)."""

    code = "SYNC_IN_PROGRESS"

    def __init__(self, mode: str, run_id: str) -> None:
        super().__init__(
            f"a {mode.lower()} WooCommerce sync is already running",
            details={"mode": mode, "run_id": run_id},
        )

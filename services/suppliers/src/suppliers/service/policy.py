"""The business settings the use cases apply, taken from the service settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from cypher_runtime.clock import Clock
from suppliers.domain.feed import PriceBounds
from suppliers.domain.products import DEFAULT_ALERT_THRESHOLD_PCT
from suppliers.domain.supplier import SyncSchedule
from suppliers.service.ports import StoresOf


@dataclass(frozen=True)
class Policy:
    alert_threshold_pct: Decimal = DEFAULT_ALERT_THRESHOLD_PCT
    default_schedule: SyncSchedule = field(default_factory=SyncSchedule)
    bounds: PriceBounds = field(default_factory=PriceBounds)
    fx_rates: dict[str, Decimal] = field(default_factory=lambda: {"RON": Decimal(1)})


@dataclass(frozen=True)
class Context:
    """What every use case module shares."""

    clock: Clock
    policy: Policy
    new_id: Callable[[], str]
    stores: StoresOf

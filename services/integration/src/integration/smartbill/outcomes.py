"""How a SmartBill call can end, as the callers must treat it.

The one distinction that matters for issuing: did SmartBill possibly act on the call?
`NotSent` — certainly not (no connection, refused before the work: credentials, the
rate-limit block, our own circuit open); `Refused` — it answered no (errorText, with
HTTP 200 or 4xx): nothing was created; `Uncertain` — it may have (timeout after the
request went out, a broken answer, a 5xx): look the document up before anything else.
"""

from __future__ import annotations

from datetime import datetime


class SmartBillError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotSent(SmartBillError):
    """SmartBill certainly did nothing."""


class CircuitOpen(NotSent):
    """Our breaker is open: the call was not even tried."""

    def __init__(self, until: datetime | None) -> None:
        super().__init__(
            "circuit open" + (f" until {until.isoformat()}" if until is not None else "")
        )
        self.until = until


class AccountBlocked(NotSent):
    """SmartBill blocked the account after too many calls (403) until `until`."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class Refused(SmartBillError):
    """SmartBill answered with an error text (HTTP 200 or 4xx): nothing was created.
    A business answer, so it does not count against the circuit breaker."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Uncertain(SmartBillError):
    """The request may have been acted on; the answer was lost or broken."""

"""Prometheus metrics shared by the runtime pieces (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

GRPC_REQUESTS = Counter(
    "cypher_grpc_requests_total", "gRPC requests handled", ["service", "method", "code"]
)
GRPC_LATENCY = Histogram(
    "cypher_grpc_request_seconds",
    "gRPC request latency",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_BACKLOG = Gauge("cypher_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "cypher_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "cypher_outbox_published_total", "Events published from the outbox", ["service"]
)
OUTBOX_FAILURES = Counter(
    "cypher_outbox_publish_failures_total", "Failed outbox publish batches", ["service"]
)
EVENTS_CONSUMED = Counter(
    "cypher_events_consumed_total",
    "Events handled by an inbox consumer",
    ["service", "queue", "event_type", "outcome"],
)
EVENTS_DEAD_LETTERED = Counter(
    "cypher_events_dead_lettered_total",
    "Events parked in a dead-letter queue",
    ["service", "queue"],
)
CONSUME_LATENCY = Histogram(
    "cypher_event_handle_seconds", "Time to handle one event", ["service", "queue"]
)
DEPENDENCY_UP = Gauge(
    "cypher_dependency_up",
    "1 when a dependency answers its health check",
    ["service", "dependency"],
)
DB_POOL_CHECKED_OUT = Gauge(
    "cypher_db_pool_checked_out", "Database connections in use", ["service"]
)
SAGA_OUTCOMES = Counter(
    "cypher_saga_outcomes_total",
    "Sagas ended, by outcome (confirmed, rejected, failed)",
    ["service", "saga", "outcome"],
)
BREAKER_STATE = Gauge(
    "cypher_breaker_state",
    "Circuit breaker towards an external system: 0 closed, 1 half-open, 2 open",
    ["service", "system"],
)

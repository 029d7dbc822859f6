"""OpenTelemetry set-up driven by the standard OTEL_* environment variables."""

from __future__ import annotations

import os

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_configured = False


def _exporter(name: str) -> SpanExporter | None:
    if name == "console":
        return ConsoleSpanExporter(formatter=lambda span: span.to_json(indent=None) + os.linesep)
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()  # endpoint/headers from OTEL_EXPORTER_OTLP_*
    return None


def configure_tracing(service: str) -> None:
    """Install a tracer provider once; exporters from OTEL_TRACES_EXPORTER (otlp|console|none).

    Without any OTEL_ variable set, spans are still created (so trace ids reach the
    logs and propagate downstream) but not exported.
    """
    global _configured
    if _configured:
        return
    _configured = True
    propagate.set_global_textmap(TraceContextTextMapPropagator())
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource)
    default = "otlp" if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") else "none"
    for name in os.environ.get("OTEL_TRACES_EXPORTER", default).split(","):
        exporter = _exporter(name.strip())
        if exporter is None:
            continue
        # Console export is for local runs and tests: write spans as they end.
        processor = (
            SimpleSpanProcessor(exporter)
            if name.strip() == "console"
            else BatchSpanProcessor(exporter)
        )
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)


def instrument_libraries() -> None:
    """Auto-instrumentation of the libraries every service uses (idempotent)."""
    from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    if not AioPikaInstrumentor().is_instrumented_by_opentelemetry:
        AioPikaInstrumentor().instrument()
    if not SQLAlchemyInstrumentor().is_instrumented_by_opentelemetry:
        SQLAlchemyInstrumentor().instrument(enable_commenter=False)


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")

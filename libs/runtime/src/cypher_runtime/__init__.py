"""Shared service runtime: settings, database, outbox/inbox, gRPC/HTTP bootstrap, telemetry."""

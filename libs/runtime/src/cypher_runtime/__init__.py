"""Shared service runtime: settings, database, outbox/inbox, gRPC and HTTP bootstrap, observability."""

"""Webhooks: signed deliveries of order, quotation and price events to partner endpoints."""

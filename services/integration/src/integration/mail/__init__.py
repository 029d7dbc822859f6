"""Outgoing mail: what the business sends on which event, rendered from Romanian
templates (HTML and text), logged, sent once per event and retried on SMTP failures."""

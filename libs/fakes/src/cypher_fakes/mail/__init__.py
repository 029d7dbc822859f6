"""SMTP sink: accepts every message over plain SMTP and shows them over HTTP."""

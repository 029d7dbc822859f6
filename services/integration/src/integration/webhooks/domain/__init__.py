"""Pure model of webhooks (endpoints, deliveries, signing, address rules)."""

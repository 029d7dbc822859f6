"""The integration service's pure model: SmartBill documents, billing, reconciliation."""

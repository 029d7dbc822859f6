"""The pure inventory model: stock per sku × warehouse and its rules (`stock`), the
reservation of an order and its life cycle (`reservation`), reconciliation of stock
against the ledger (`reconciliation`). Standard library only, no clock: time is passed
in. The database (conditional updates + CHECK constraints) is the last line of
defence, not the place where the rules live."""

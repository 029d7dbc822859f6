"""The orders domain: statuses and transitions, the order aggregate, CUI checks and
the saga recovery rule. Pure Python: no I/O, no database, no gRPC."""

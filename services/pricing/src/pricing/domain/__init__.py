"""The pricing domain: products, rules, promotions, tiers and the price formula.

Pure Python (stdlib only): no I/O, no database, no gRPC, no clock reads. Everything
it needs (the time, the rules in force) is passed in by the service layer.
"""

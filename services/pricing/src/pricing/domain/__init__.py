"""The pricing domain: products, rules, promotions, tiers and the price formula.

Pure: the standard library, this package and the coded errors (`pricing.errors`) only;
no I/O, no database, no gRPC, no clock reads. Everything it needs (the time, the rules
in force) is passed in by the use cases.
"""

"""Persistence of the orders service: the tables, one repository per aggregate
(`Customers`, `Orders`), the saga's own store and the order-number counters."""
